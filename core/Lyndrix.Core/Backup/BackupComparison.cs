using System.Text.Json;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Backup;

/// <summary>
/// Compares what a deployment holds with a backup, record by record: every row of every table of the backup (as a multiset,
/// by column name; the core's own <c>schema_migrations</c> rows belong to each deployment and are left out) and every secret
/// (path, fields and <c>max_versions</c>). Differences name tables, counts and paths, never values.
/// </summary>
internal static class BackupComparison
{
    public static IReadOnlyList<string> Differences(BackupContents backup, byte[] database, IReadOnlyList<SecretDump> secrets, IReadOnlySet<string> ignoredSecrets)
    {
        var differences = new List<string>();
        using var expected = JsonDocument.Parse(backup.Parts[BackupManifest.DatabasePart]);
        using var actual = JsonDocument.Parse(database);
        var actualTables = actual.RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, StringComparer.Ordinal);
        foreach (var table in expected.RootElement.GetProperty("tables").EnumerateArray())
        {
            var name = table.GetProperty("name").GetString()!;
            if (!actualTables.TryGetValue(name, out var other))
            {
                differences.Add($"table {name} is missing");
                continue;
            }

            var want = Rows(table);
            var have = Rows(other);
            var missing = want.Except(have).Count();
            var extra = have.Except(want).Count();
            if (missing > 0 || extra > 0 || want.Count != have.Count)
            {
                differences.Add($"table {name}: {want.Count:N0} row(s) in the backup, {have.Count:N0} restored, {missing:N0} missing or different, {extra:N0} not in the backup");
            }
        }

        var restored = secrets.Where(s => !ignoredSecrets.Contains(s.Path)).ToDictionary(s => s.Path, StringComparer.Ordinal);
        foreach (var secret in backup.ReadSecrets().Where(s => !ignoredSecrets.Contains(s.Path)))
        {
            if (!restored.Remove(secret.Path, out var have))
            {
                differences.Add($"secret {secret.Path} is missing");
            }
            else if (!have.SameContentAs(secret))
            {
                differences.Add($"secret {secret.Path} differs");
            }
        }

        differences.AddRange(restored.Keys.Select(p => $"secret {p} is not in the backup"));
        return differences;
    }

    /// <summary>Each row as one canonical string (columns by name), counted, so order and column order do not matter.</summary>
    private static List<string> Rows(JsonElement table)
    {
        var columns = table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
        var order = Enumerable.Range(0, columns.Count).OrderBy(i => columns[i], StringComparer.Ordinal).ToList();
        var owner = table.GetProperty("name").GetString() == TableCatalog.MigrationsTable ? columns.IndexOf("owner") : -1;
        var rows = new List<string>();
        foreach (var row in table.GetProperty("rows").EnumerateArray())
        {
            var cells = row.EnumerateArray().ToList();
            if (owner >= 0 && cells[owner].GetString() == DatabaseModule.CoreSchemaOwner)
            {
                continue;
            }

            rows.Add(string.Join("\u001f", order.Select(i => columns[i] + "=" + cells[i].GetRawText())));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}
