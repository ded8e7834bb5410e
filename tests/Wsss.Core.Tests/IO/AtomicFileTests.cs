using NUnit.Framework;
using Wsss.Core.IO;
using static Wsss.Core.Tests.IO.IoTestHelpers;

namespace Wsss.Core.Tests.IO;

[TestFixture]
public class AtomicFileTests
{
    [Test]
    public void FailedWriteLeavesOriginalAndNoTemporaryFile()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "keep.bin");
            File.WriteAllText(path, "original");
            Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
            {
                s.Write([1, 2, 3]);
                throw new InvalidOperationException("boom");
            }));
            Assert.That(File.ReadAllText(path), Is.EqualTo("original"));
            Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { path }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void WritesNewAndReplacesExistingFiles()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "new.bin");
            AtomicFile.Write(path, s => s.Write([1, 2]));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 1, 2 }));
            AtomicFile.Write(path, s => s.Write([3]));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 3 }));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void WriterThatClosesTheStreamIsReported()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "closed.bin");
            var ex = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => s.Dispose()));
            Assert.That(ex!.Message, Does.Contain("closed the stream"));
            Assert.That(Directory.GetFiles(dir), Is.Empty);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void MissingFolderThrowsAndLeavesNothing()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "nope", "a.bin");
            Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(path, s => s.WriteByte(1)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
