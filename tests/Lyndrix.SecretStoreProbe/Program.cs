using System.Globalization;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;

// Usage (the data key is the first line of stdin, never an argument or an environment variable):
//   increment SECURITY_DIR PATH COUNT WHO   waits for a second line on stdin, then adds 1 to field "counter" and to field WHO,
//                                           COUNT times, each a read-modify-write with check-and-set; prints "done retries=R".
//   write-loop SECURITY_DIR PATH SIZE       writes versions whose value is "<n>:" + SIZE x 'x' until killed; prints
//                                           "committed <version>" after each commit.
var key = Console.ReadLine() ?? throw new InvalidOperationException("Write the data key as the first line of stdin.");
var (mode, dir, path) = (args[0], args[1], args[2]);
using var backend = new EmbeddedSecretBackend(EmbeddedStorePaths.In(dir), TimeProvider.System);
await backend.UnsealAsync(new KeyMaterial(key, []), CancellationToken.None);
var kv = backend.Store;

if (mode == "increment")
{
    var count = int.Parse(args[3], CultureInfo.InvariantCulture);
    var who = args[4];
    Console.WriteLine("ready");
    _ = Console.ReadLine();
    var retries = 0;
    for (var i = 0; i < count; i++)
    {
        while (true)
        {
            var current = await kv.ReadAsync(path, CancellationToken.None);
            var data = current.Data is null ? new Dictionary<string, string>() : new Dictionary<string, string>(current.Data);
            data["counter"] = (int.Parse(data.GetValueOrDefault("counter", "0"), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
            data[who] = (int.Parse(data.GetValueOrDefault(who, "0"), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
            try
            {
                await kv.WriteAsync(path, data, current.State == KvReadState.NotFound ? 0 : current.Version, CancellationToken.None);
                break;
            }
            catch (KvCasMismatchException)
            {
                retries++;
            }
        }
    }

    Console.WriteLine($"done retries={retries}");
    return 0;
}

if (mode == "write-loop")
{
    var filler = new string('x', int.Parse(args[3], CultureInfo.InvariantCulture));
    for (var n = 1; ; n++)
    {
        var version = await kv.WriteAsync(path, new Dictionary<string, string> { ["value"] = $"{n}:{filler}" }, null, CancellationToken.None);
        Console.WriteLine($"committed {version}");
    }
}

Console.Error.WriteLine($"Unknown mode '{mode}'.");
return 2;
