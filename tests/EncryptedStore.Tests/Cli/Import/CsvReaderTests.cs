using EncryptedStore.Cli.Import;

namespace EncryptedStore.Tests.Cli.Import;

public class CsvReaderTests
{
    [TestCase("a,b,c\n", "1:a|b|c")]
    [TestCase("a,,c", "1:a||c")]
    [TestCase("a,b\r\nc,d\r\n", "1:a|b;2:c|d")]
    [TestCase("\"a,b\",c", "1:a,b|c")]
    [TestCase("\"a\"\"b\",\"\"", "1:a\"b|")]
    [TestCase("a\"b,c", "1:a\"b|c")]
    [TestCase("\"two\nlines\",x\ny", "1:two\nlines|x;3:y")]
    [TestCase("\n\nx\n\n", "3:x")]
    [TestCase("", "")]
    public void Read_WellFormed_FieldsAndStartLines(string csv, string expected)
    {
        var records = CsvReader.Read(new StringReader(csv)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(records.Select(r => r.Error), Is.All.Null);
            Assert.That(string.Join(";", records.Select(r => $"{r.Line}:{string.Join("|", r.Fields)}")), Is.EqualTo(expected));
        });
    }

    [TestCase("\"open,secret-value\nnext", "not closed")]
    [TestCase("\"a\"secret,b", "after its closing quote")]
    public void Read_Malformed_ErrorWithoutTheData(string csv, string error)
    {
        var record = CsvReader.Read(new StringReader(csv)).First();

        Assert.That(record.Error, Does.Contain(error).And.Not.Contain("secret"));
    }

    [Test]
    public void Read_MalformedRecord_ReadingGoesOnWithTheNext()
    {
        var records = CsvReader.Read(new StringReader("\"a\"x,b\nc,d\n")).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(records, Has.Count.EqualTo(2));
            Assert.That(records[0].Error, Is.Not.Null);
            Assert.That(records[1].Error, Is.Null);
            Assert.That(string.Join("|", records[1].Fields), Is.EqualTo("c|d"));
        });
    }
}
