#!/usr/bin/env bash
# Recomputes the known-answer vectors of KnownAnswerVectors.cs with implementations independent of ours:
# the reference Argon2 C CLI (Debian package 'argon2') and Node's OpenSSL-backed AES-256-GCM (16-byte IV),
# plus CPython's json.dumps for the plaintext layout. Not run by the tests; kept so the constants can be checked.
set -euo pipefail
kdf() { printf '%s' "$1" | argon2 "$2" -id -t "$3" -k "$4" -p "$5" -l 32 -r; }
echo "argon2id default: $(kdf 'correct horse battery' 'lyndrix-salt-16b' 3 65536 4)"
echo "argon2id unicode: $(kdf 'Ünïcödé-Schlüssel-✓' '0123456789abcdef' 3 65536 4)"
echo "argon2id small:   $(kdf 'correct horse battery' 'lyndrix-salt-16b' 1 1024 2)"
echo "argon2id tiny:    $(kdf 'another-master-key' 'SALTSALTSALTSALT' 2 64 1)"
echo "argon2id p=1:     $(kdf 'correct horse battery' 'lyndrix-salt-16b' 3 65536 1)"
node - <<'JS'
const c = require('crypto');
function blob(keyHex, saltAscii, nonceHex, pt) {
  const ci = c.createCipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), Buffer.from(nonceHex, 'hex'));
  const ct = Buffer.concat([ci.update(Buffer.from(pt, 'utf8')), ci.final()]);
  return Buffer.concat([Buffer.from(saltAscii, 'ascii'), Buffer.from(nonceHex, 'hex'), ci.getAuthTag(), ct]).toString('hex');
}
const small = '4548e78187fbf9a7f7f67393ad8b6d348eddabd8672cb84f3d3921fb55307a43';
console.log('A', blob('95222102d8b98028e223f2a6d453a0a68b6232f41fb1f9a65c943a0b761b0361', 'lyndrix-salt-16b', 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
  '{"root_token": "hvs.CAESIExampleRootTokenForTests", "unseal_keys": ["5c1e0b7a9d3f24c68e01b2a3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"]}'));
console.log('B', blob(small, 'lyndrix-salt-16b', '00112233445566778899aabbccddeeff', '{"root_token": "hvs.Small", "unseal_keys": ["aa", "bb"]}'));
console.log('C', blob(small, 'lyndrix-salt-16b', 'ffffffffffffffffffffffffffffffff', '{"root_token": "", "unseal_keys": []}'));
JS
python3 -c 'import json; print(json.dumps({"root_token": "t\u00e4\U0001F600\"\\\n\t\x01\x7f/\u2028", "unseal_keys": ["a", "b", "c"]}))'
