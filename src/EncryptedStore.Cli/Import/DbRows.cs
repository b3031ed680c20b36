using System.Data.Common;
using System.Globalization;

namespace EncryptedStore.Cli.Import;

/// <summary>Reads the SDK's <c>oauthtoken</c> table from any ADO.NET reader; NULL and empty values become null.</summary>
internal static class DbRows
{
    public static List<SourceRow> Read(DbDataReader reader, string source)
    {
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var map = ColumnMap.Create(names, source, ignoreUnknown: true);
        var rows = new List<SourceRow>();
        var values = new string?[reader.FieldCount];
        var number = 0;
        while (reader.Read())
        {
            number++;
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
            }

            rows.Add(SourceRow.Valid(string.Create(CultureInfo.InvariantCulture, $"row {number}"), map.ToToken(values)));
        }

        return rows;
    }
}
