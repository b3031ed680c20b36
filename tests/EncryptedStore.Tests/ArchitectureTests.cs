using System.Text.RegularExpressions;

namespace EncryptedStore.Tests;

/// <summary>
/// The shape ARCHITECTURE.md promises, checked on the source: LiteDB stays behind the storage seam, the
/// folders of the library depend on each other without a cycle, and no file grows past 400 lines.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string LibraryRoot = Path.Combine(RepositoryRoot(), "src", "EncryptedStore");

    [Test]
    public void LiteDb_IsUsedOnlyInStorageLiteDb()
    {
        var outside = SourceFiles(LibraryRoot)
            .Where(f => !Folder(f).StartsWith("Storage/LiteDb", StringComparison.Ordinal))
            .Where(f => LiteDbReference().IsMatch(StripComments(File.ReadAllText(f))))
            .Select(f => Path.GetRelativePath(LibraryRoot, f))
            .ToList();

        Assert.That(outside, Is.Empty);
    }

    [Test]
    public void ServerDrivers_AreUsedOnlyInStorageServer()
    {
        var outside = SourceFiles(LibraryRoot)
            .Where(f => !Folder(f).StartsWith("Storage/Server", StringComparison.Ordinal))
            .Where(f => ServerDriverReference().IsMatch(StripComments(File.ReadAllText(f))))
            .Select(f => Path.GetRelativePath(LibraryRoot, f))
            .ToList();

        Assert.That(outside, Is.Empty);
    }

    [Test]
    public void Folders_DependOnEachOtherWithoutACycle()
    {
        var graph = FolderGraph();

        var cycles = graph.SelectMany(edge => edge.Value.Where(to => Reaches(graph, to, edge.Key)).Select(to => $"{edge.Key} <-> {to}")).ToList();

        Assert.That(cycles, Is.Empty, string.Join("\n", graph.Select(e => $"{e.Key} -> {string.Join(", ", e.Value)}")));
    }

    [Test]
    public void SourceFiles_AreAtMost400Lines_AndTheStoreClassAtMost600()
    {
        var files = SourceFiles(Path.Combine(RepositoryRoot(), "src")).ToList();
        var longFiles = files.Where(f => File.ReadAllLines(f).Length > 400).Select(f => Path.GetFileName(f)).ToList();
        var storeLines = files.Where(f => Path.GetFileName(f).StartsWith("EncryptedTokenStore.", StringComparison.Ordinal) && !f.EndsWith("Options.cs", StringComparison.Ordinal))
            .Sum(f => File.ReadAllLines(f).Length);

        Assert.Multiple(() =>
        {
            Assert.That(longFiles, Is.Empty);
            Assert.That(storeLines, Is.LessThanOrEqualTo(600));
        });
    }

    /// <summary>Folder to the folders whose types it names (comments and strings left out).</summary>
    private static Dictionary<string, SortedSet<string>> FolderGraph()
    {
        var files = SourceFiles(LibraryRoot).Select(f => (Folder: Folder(f), Text: StripComments(File.ReadAllText(f)))).ToList();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, text) in files)
        {
            foreach (Match match in TypeDeclaration().Matches(text))
            {
                types.TryAdd(match.Groups[1].Value, folder);
            }
        }

        var graph = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (folder, text) in files)
        {
            var targets = graph.TryGetValue(folder, out var existing) ? existing : graph[folder] = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (type, owner) in types)
            {
                if (owner != folder && Regex.IsMatch(text, $@"\b{type}\b"))
                {
                    targets.Add(owner);
                }
            }
        }

        return graph;
    }

    private static bool Reaches(Dictionary<string, SortedSet<string>> graph, string from, string to)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([from]);
        while (pending.TryPop(out var folder))
        {
            if (folder == to)
            {
                return true;
            }

            if (seen.Add(folder) && graph.TryGetValue(folder, out var next))
            {
                foreach (var target in next)
                {
                    pending.Push(target);
                }
            }
        }

        return false;
    }

    private static string Folder(string file) =>
        Path.GetRelativePath(LibraryRoot, Path.GetDirectoryName(file)!).Replace('\\', '/');

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string StripComments(string text) => StringLiteral().Replace(LineComment().Replace(text, string.Empty), "\"\"");

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "EncryptedStore.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The tests do not run inside the repository.");
    }

    [GeneratedRegex(@"\busing\s+LiteDB\b|\bLiteDB\.|\bBsonDocument\b|\bLiteException\b")]
    private static partial Regex LiteDbReference();

    [GeneratedRegex(@"\busing\s+(?:MySqlConnector|Npgsql)\b|\b(?:MySqlConnector|Npgsql)\.|\b(?:MySql|Npgsql)(?:Connection|Command|Exception|Parameter|DataSource)\b|\bPostgresException\b")]
    private static partial Regex ServerDriverReference();

    [GeneratedRegex(@"^\s*(?:(?:public|internal|private|protected|sealed|static|abstract|readonly|partial|file)\s+)+(?:class|record struct|record|struct|enum|interface)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();
}
