using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Admin;

public class KeyRotationOptionsTests
{
    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(int.MinValue)]
    [TestCase(100_001)]
    [TestCase(int.MaxValue)]
    public void Validate_BatchSizeOutOfRange_ThrowsWithParamNameValueAndRange(int batchSize)
    {
        var options = new KeyRotationOptions { BatchSize = batchSize };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate());

        Assert.Multiple(() =>
        {
            Assert.That(error.ParamName, Is.EqualTo(nameof(KeyRotationOptions.BatchSize)));
            Assert.That(error.ActualValue, Is.EqualTo(batchSize));
            Assert.That(error.Message, Does.StartWith("BatchSize must be between 1 and 100,000."));
        });
    }

    [TestCase(1)]
    [TestCase(1000)]
    [TestCase(100_000)]
    public void Validate_BatchSizeInRange_DoesNotThrow(int batchSize)
    {
        var options = new KeyRotationOptions { BatchSize = batchSize };

        Assert.That(() => options.Validate(), Throws.Nothing);
    }

    [Test]
    public void Defaults_AreValid()
    {
        var options = new KeyRotationOptions();

        Assert.Multiple(() =>
        {
            Assert.That(options.BatchSize, Is.EqualTo(1000));
            Assert.That(options.RotateIndexKey, Is.False);
            Assert.That(() => options.Validate(), Throws.Nothing);
        });
    }

    [Test]
    public void RotateKeys_BatchSizeZero_ThrowsBeforeRotating()
    {
        using var store = StoreFixture.OpenMemory();
        var before = store.GetStatistics().Keys.Count;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => store.RotateKeys(new KeyRotationOptions { BatchSize = 0 }));

        Assert.Multiple(() =>
        {
            Assert.That(error.ParamName, Is.EqualTo("BatchSize"));
            Assert.That(store.GetStatistics().Keys, Has.Count.EqualTo(before), "no new key version was made");
        });
    }
}
