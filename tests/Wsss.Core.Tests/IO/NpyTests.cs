using NUnit.Framework;
using System.Buffers.Binary;
using System.Text;
using Wsss.Core.IO;
using static Wsss.Core.Tests.IO.IoTestHelpers;

namespace Wsss.Core.Tests.IO;

[TestFixture]
public class NpyTests
{
    // ---- files written by numpy (see Fixtures/io/make_io_fixtures.py) ---------------------------

    [Test]
    public void ReadsNumpyFloat32In3d()
    {
        NpyArray a = Npy.Read(Fixture("f4_3d.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Float32));
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(a.Length, Is.EqualTo(24));
        Assert.That(a.ToFloat32(), Is.EqualTo(Enumerable.Range(0, 24).Select(i => i * 0.5f - 3f).ToArray()));
    }

    [Test]
    public void ReadsNumpyFloat64()
    {
        NpyArray a = Npy.Read(Fixture("f8_1d.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Float64));
        Assert.That(a.Shape, Is.EqualTo(new[] { 6 }));
        Assert.That(a.ToFloat64(), Is.EqualTo(new[] { 0.1, -2.5, 1e300, double.NegativeInfinity, double.PositiveInfinity, double.Epsilon }));
    }

    [Test]
    public void ReadsNumpyUInt8()
    {
        NpyArray a = Npy.Read(Fixture("u1_2d.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.UInt8));
        Assert.That(a.Shape, Is.EqualTo(new[] { 3, 4 }));
        Assert.That(a.ToUInt8(), Is.EqualTo(Enumerable.Range(0, 12).Select(i => (byte)(i * 21)).ToArray()));
    }

    [Test]
    public void ReadsNumpyInt32()
    {
        NpyArray a = Npy.Read(Fixture("i4_1d.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Int32));
        Assert.That(a.ToInt32(), Is.EqualTo(new[] { int.MinValue, -1, 0, 1, int.MaxValue }));
    }

    [Test]
    public void ReadsNumpyInt64In3d()
    {
        NpyArray a = Npy.Read(Fixture("i8_3d.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Int64));
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 1, 3 }));
        Assert.That(a.ToInt64(), Is.EqualTo(new[] { -(1L << 62), -1, 0, 1, 1L << 40, (1L << 62) + 5 }));
    }

    [Test]
    public void ReadsNumpyBool()
    {
        NpyArray a = Npy.Read(Fixture("b1_1d.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Bool));
        Assert.That(a.ToBool(), Is.EqualTo(new[] { true, false, true, true, false }));
    }

    [Test]
    public void ReadsNumpyZeroDimensionalArray()
    {
        NpyArray a = Npy.Read(Fixture("f4_0d.npy"));
        Assert.That(a.Shape, Is.Empty);
        Assert.That(a.Rank, Is.EqualTo(0));
        Assert.That(a.Length, Is.EqualTo(1));
        Assert.That(a.ToFloat32(), Is.EqualTo(new[] { 3.25f }));
    }

    [Test]
    public void ReadsNumpyEmptyArray()
    {
        NpyArray a = Npy.Read(Fixture("i8_empty.npy"));
        Assert.That(a.Shape, Is.EqualTo(new[] { 0, 3 }));
        Assert.That(a.Length, Is.EqualTo(0));
        Assert.That(a.ToInt64(), Is.Empty);
    }

    [Test]
    public void ReadsNumpyFormatVersion2()
    {
        byte[] raw = File.ReadAllBytes(Fixture("f4_v2.npy"));
        Assert.That(raw[6], Is.EqualTo(2), "fixture should be a version 2.0 file");
        NpyArray a = Npy.Read(Fixture("f4_v2.npy"));
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(a.ToFloat32(), Is.EqualTo(new[] { 1.5f, -2f, 0.25f, 8f }));
    }

    [Test]
    public void ReadsNumpyFormatVersion3()
    {
        byte[] raw = File.ReadAllBytes(Fixture("f8_v3.npy"));
        Assert.That(raw[6], Is.EqualTo(3), "fixture should be a version 3.0 file");
        Assert.That(Npy.Read(Fixture("f8_v3.npy")).ToFloat64(), Is.EqualTo(new[] { 1.0, 2.0, 3.0 }));
    }

    [Test]
    public void ConvertsBigEndianFloat32()
    {
        NpyArray a = Npy.Read(Fixture("f4_bigendian.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Float32));
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(a.ToFloat32(), Is.EqualTo(new[] { -2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f }));
    }

    [Test]
    public void ConvertsBigEndianInt64()
    {
        NpyArray a = Npy.Read(Fixture("i8_bigendian.npy"));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Int64));
        Assert.That(a.ToInt64(), Is.EqualTo(new[] { 1L, -2L, 1L << 40 }));
    }

    [Test]
    public void RejectsFortranOrder()
    {
        string path = Fixture("f4_fortran.npy");
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.That(ex!.Message, Does.Contain("Fortran order not supported"));
        Assert.That(ex.Message, Does.Contain(path));
    }

    [Test]
    public void RejectsFloat16NamingTheDescr()
    {
        string path = Fixture("f2_half.npy");
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.That(ex!.Message, Does.Contain("'<f2' is not supported"));
        Assert.That(ex.Message, Does.Contain(path));
    }

    [TestCase("f4_3d.npy")]
    [TestCase("f8_1d.npy")]
    [TestCase("u1_2d.npy")]
    [TestCase("i4_1d.npy")]
    [TestCase("i8_3d.npy")]
    [TestCase("b1_1d.npy")]
    [TestCase("f4_0d.npy")]
    [TestCase("i8_empty.npy")]
    public void WritesTheSameBytesAsNumpy(string name)
    {
        byte[] expected = File.ReadAllBytes(Fixture(name));
        var ms = new MemoryStream();
        Npy.Write(ms, Npy.Read(Fixture(name)));
        Assert.That(ms.ToArray(), Is.EqualTo(expected));
    }

    // ---- round trips ---------------------------------------------------------------------------

    private static readonly int[][] Shapes = [[], [5], [2, 3, 4], [0, 2]];

    private static IEnumerable<TestCaseData> RoundTripCases()
    {
        foreach (NpyDType dtype in Enum.GetValues<NpyDType>())
        {
            foreach (int[] shape in Shapes)
            {
                yield return new TestCaseData(dtype, shape).SetArgDisplayNames(dtype.ToString(), "(" + string.Join(",", shape) + ")");
            }
        }
    }

    private static NpyArray Sample(NpyDType dtype, int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return dtype switch
        {
            NpyDType.Float32 => NpyArray.FromFloat32(Enumerable.Range(0, n).Select(i => i * 1.25f - 3f).ToArray(), shape),
            NpyDType.Float64 => NpyArray.FromFloat64(Enumerable.Range(0, n).Select(i => Math.PI * i - 1e10).ToArray(), shape),
            NpyDType.UInt8 => NpyArray.FromUInt8(Enumerable.Range(0, n).Select(i => (byte)(i * 37)).ToArray(), shape),
            NpyDType.Int32 => NpyArray.FromInt32(Enumerable.Range(0, n).Select(i => i * -100_000_007).ToArray(), shape),
            NpyDType.Int64 => NpyArray.FromInt64(Enumerable.Range(0, n).Select(i => (long)i << 40).ToArray(), shape),
            NpyDType.Bool => NpyArray.FromBool(Enumerable.Range(0, n).Select(i => i % 3 == 0).ToArray(), shape),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    [TestCaseSource(nameof(RoundTripCases))]
    public void RoundTripsThroughStream(NpyDType dtype, int[] shape)
    {
        NpyArray original = Sample(dtype, shape);
        var ms = new MemoryStream();
        Npy.Write(ms, original);
        Assert.That(ms.Length % 64, Is.EqualTo(original.Data.Length % 64), "data must start on a 64-byte boundary");
        ms.Position = 0;
        NpyArray back = Npy.Read(ms);
        AssertSame(back, original);
        Assert.That(ms.Position, Is.EqualTo(ms.Length), "the reader must stop right after the data");
    }

    [TestCaseSource(nameof(RoundTripCases))]
    public void RoundTripsThroughFile(NpyDType dtype, int[] shape)
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "a.npy");
            NpyArray original = Sample(dtype, shape);
            Npy.Write(path, original);
            AssertSame(Npy.Read(path), original);
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary file may be left behind");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ReadsFromNonSeekableStream()
    {
        var ms = new MemoryStream();
        NpyArray original = Sample(NpyDType.Float64, [2, 3, 4]);
        Npy.Write(ms, original);
        AssertSame(Npy.Read(new NonSeekableStream(ms.ToArray())), original);
    }

    [Test]
    public void ReadsConsecutiveRecordsFromOneStream()
    {
        var ms = new MemoryStream();
        Npy.Write(ms, Sample(NpyDType.Int32, [3]));
        Npy.Write(ms, Sample(NpyDType.Bool, [2, 2]));
        ms.Position = 0;
        Assert.That(Npy.Read(ms).DType, Is.EqualTo(NpyDType.Int32));
        Assert.That(Npy.Read(ms).DType, Is.EqualTo(NpyDType.Bool));
    }

    [Test]
    public void WriteReplacesAnExistingFile()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "a.npy");
            File.WriteAllText(path, "old content");
            Npy.Write(path, NpyArray.FromInt32([1, 2], 2));
            Assert.That(Npy.Read(path).ToInt32(), Is.EqualTo(new[] { 1, 2 }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertSame(NpyArray actual, NpyArray expected)
    {
        Assert.That(actual.DType, Is.EqualTo(expected.DType));
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape));
        Assert.That(actual.Length, Is.EqualTo(expected.Length));
        Assert.That(actual.Data.ToArray(), Is.EqualTo(expected.Data.ToArray()));
    }

    // ---- header parsing ------------------------------------------------------------------------

    private static readonly byte[] SixFloats = new byte[24];

    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")]
    [TestCase("{'shape': (2, 3), 'descr': '<f4', 'fortran_order': False}")]
    [TestCase("{ 'fortran_order' : False , 'shape' : ( 2 , 3 ) , 'descr' : '<f4' , }   ")]
    [TestCase("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }")]
    [TestCase("{'descr':'<f4','fortran_order':False,'shape':(2,3,),}")]
    [TestCase("{'descr': 'f4', 'fortran_order': False, 'shape': [2, 3]}")]
    public void ParsesHeaderVariants(string header)
    {
        NpyArray a = Npy.Read(new MemoryStream(NpyBytes(header, SixFloats)));
        Assert.That(a.DType, Is.EqualTo(NpyDType.Float32));
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 3 }));
    }

    [TestCase("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", new int[0])]
    [TestCase("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", new[] { 1 })]
    public void ParsesScalarAndVectorShapes(string header, int[] shape)
    {
        NpyArray a = Npy.Read(new MemoryStream(NpyBytes(header, BitConverter.GetBytes(42L))));
        Assert.That(a.Shape, Is.EqualTo(shape));
        Assert.That(a.ToInt64(), Is.EqualTo(new[] { 42L }));
    }

    [TestCase("{'descr': '<f4', 'shape': (2, 3), }", "no 'fortran_order' key")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, }", "no 'shape' key")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", "unexpected key 'extra'")]
    [TestCase("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", "duplicate key 'descr'")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': 6}", "'shape' must be a tuple")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", "'shape' entry 1 is -3")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'a')}", "'shape' entry 1 must be an integer")]
    [TestCase("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", "'fortran_order' must be True or False")]
    [TestCase("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3)}", "structured dtypes")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk", "after the header dictionary")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "expected ',' or '}'")]
    [TestCase("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", "corrupt header")]
    [TestCase("['descr', '<f4']", "expected the header to start with '{'")]
    [TestCase("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3)}", "unexpected name 'Maybe'")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}", "malformed or out of range")]
    [TestCase("{'descr': 'O', 'fortran_order': False, 'shape': (2, 3)}", "'O' is not supported")]
    [TestCase("{'descr': '<U3', 'fortran_order': False, 'shape': (2, 3)}", "'<U3' is not supported")]
    [TestCase("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3)}", "'<c8' is not supported")]
    public void RejectsBadHeaders(string header, string expectedProblem)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(NpyBytes(header, SixFloats)), "bad.npy"));
        Assert.That(ex!.Message, Does.Contain(expectedProblem));
        Assert.That(ex.Message, Does.Contain("'bad.npy'"));
    }

    [Test]
    public void RejectsDeeplyNestedHeaderWithoutStackOverflow()
    {
        string header = "{'descr': " + new string('(', 5000) + "}";
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(NpyBytes(header, []))));
        Assert.That(ex!.Message, Does.Contain("nested deeper"));
    }

    // ---- corrupt and truncated files -----------------------------------------------------------

    [Test]
    public void TruncatedFilesFailCleanlyAtEveryLength()
    {
        byte[] full = File.ReadAllBytes(Fixture("f4_3d.npy")); // 128-byte header + 96 data bytes
        foreach (int length in new[] { 0, 1, 5, 6, 7, 8, 9, 10, 40, 127, 128, 129, 200, full.Length - 1 })
        {
            byte[] cut = full[..length];
            foreach (Stream stream in new Stream[] { new MemoryStream(cut), new NonSeekableStream(cut) })
            {
                var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(stream, "cut.npy"), $"length {length}");
                Assert.That(ex!.Message, Does.Contain("'cut.npy'"));
                string expected = length switch
                {
                    0 => "empty input",
                    < 8 => "truncated preamble",
                    < 10 => "truncated header length field",
                    < 128 => "truncated header",
                    _ => "truncated data",
                };
                Assert.That(ex.Message, Does.Contain(expected), $"length {length}: {ex.Message}");
            }
        }
    }

    [Test]
    public void TruncatedFileOnDiskNamesTheFile()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "short.npy");
            File.WriteAllBytes(path, File.ReadAllBytes(Fixture("f4_3d.npy"))[..150]);
            var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
            Assert.That(ex!.Message, Does.Contain(path));
            Assert.That(ex.Message, Does.Contain("truncated data"));
            Assert.That(ex.Message, Does.Contain("needs 96 bytes but only 22 remain"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void RejectsBadMagic()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("f4_3d.npy"));
        bytes[1] = (byte)'X';
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes), "x.npy"));
        Assert.That(ex!.Message, Does.Contain("bad magic"));
        Assert.That(ex.Message, Does.Contain("found 93 58 55 4D 50 59"));
    }

    [Test]
    public void RejectsAZipPassedAsNpy()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(Fixture("savez_stored.npz")));
        Assert.That(ex!.Message, Does.Contain("bad magic"));
        Assert.That(ex.Message, Does.Contain("savez_stored.npz"));
    }

    [TestCase(0, 0)]
    [TestCase(4, 0)]
    [TestCase(1, 1)]
    public void RejectsUnknownVersion(int major, int minor)
    {
        byte[] bytes = File.ReadAllBytes(Fixture("f4_3d.npy"));
        bytes[6] = (byte)major;
        bytes[7] = (byte)minor;
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes)));
        Assert.That(ex!.Message, Does.Contain($"unsupported format version {major}.{minor}"));
    }

    [Test]
    public void RejectsGarbageHeader()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("f4_3d.npy"));
        new Random(7).NextBytes(bytes.AsSpan(10, 50));
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes), "garbage.npy"));
        Assert.That(ex!.Message, Does.Contain("corrupt header"));
    }

    [Test]
    public void RejectsAbsurdHeaderLength()
    {
        byte[] bytes = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", SixFloats, major: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0xFFFF_FFF0);
        foreach (Stream s in new Stream[] { new MemoryStream(bytes), new NonSeekableStream(bytes) })
        {
            var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(s));
            Assert.That(ex!.Message, Does.Contain("header length 4294967280 exceeds the limit"));
        }
    }

    [Test]
    public void RejectsHeaderLengthBeyondTheStream()
    {
        byte[] bytes = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", SixFloats, major: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 500_000);
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes)));
        Assert.That(ex!.Message, Does.Contain("truncated header; expected 500000 bytes"));
    }

    [Test]
    public void RejectsAbsurdShapeAgainstTheStreamLengthWithoutAllocating()
    {
        byte[] bytes = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", new byte[64]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes), "huge.npy"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(ex!.Message, Does.Contain("truncated data; shape (1000000, 1000000) of '<f8' needs 8000000000000 bytes but only 64 remain"));
        Assert.That(allocated, Is.LessThan(1 << 20));
    }

    [Test]
    public void RejectsAbsurdShapeOnNonSeekableStream()
    {
        byte[] bytes = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", new byte[64]);
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new NonSeekableStream(bytes)));
        Assert.That(ex!.Message, Does.Contain("exceeds"));
    }

    [Test]
    public void LargeClaimOnNonSeekableStreamAllocatesOnlyWhatArrives()
    {
        // 400 MB claimed, 64 bytes present: the reader must grow its buffer as data arrives.
        byte[] bytes = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000,), }", new byte[64]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new NonSeekableStream(bytes)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(ex!.Message, Does.Contain("truncated data; expected 400000000 bytes, found 64"));
        Assert.That(allocated, Is.LessThan(64L << 20));
    }

    [Test]
    public void RejectsShapeWhoseByteSizeOverflows()
    {
        byte[] bytes = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }", []);
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new NonSeekableStream(bytes)));
        Assert.That(ex!.Message, Does.Contain("overflows"));
    }

    [Test]
    public void RejectsInvalidUtf8InVersion3Header()
    {
        byte[] bytes = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x\u00ff': 1}", SixFloats, major: 3);
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes)));
        Assert.That(ex!.Message, Does.Contain("invalid UTF-8"));
    }

    // ---- NpyArray factories and converters -----------------------------------------------------

    [Test]
    public void FactoriesValidateShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => NpyArray.FromFloat32(new float[5], 2, 3));
        Assert.That(ex!.Message, Does.Contain("Shape (2, 3) holds 6 element(s) but the data has 5"));
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyArray.FromInt32(new int[0], 2, -1, 0));
        Assert.Throws<ArgumentException>(() => NpyArray.FromUInt8(new byte[2]));
        Assert.That(NpyArray.FromUInt8([9]).Shape, Is.Empty, "an empty shape is a 0-d array");
        Assert.Throws<ArgumentException>(() => NpyArray.FromRawBytes(NpyDType.Int64, new byte[12], 2));
    }

    [Test]
    public void FactoriesCopyTheirInput()
    {
        float[] data = [1f, 2f];
        NpyArray a = NpyArray.FromFloat32(data, 2);
        data[0] = 99f;
        int[] shape = a.GetShape();
        shape[0] = 7;
        Assert.That(a.ToFloat32(), Is.EqualTo(new[] { 1f, 2f }));
        Assert.That(a.Shape, Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public void ConvertsBetweenNumericTypes()
    {
        NpyArray ints = NpyArray.FromInt64([-3, 0, 7], 3);
        Assert.That(ints.ToFloat32(), Is.EqualTo(new[] { -3f, 0f, 7f }));
        Assert.That(ints.ToFloat64(), Is.EqualTo(new[] { -3d, 0d, 7d }));
        Assert.That(ints.ToInt32(), Is.EqualTo(new[] { -3, 0, 7 }));
        Assert.That(ints.ToBool(), Is.EqualTo(new[] { true, false, true }));

        NpyArray bytes = NpyArray.FromUInt8([0, 200, 255], 3);
        Assert.That(bytes.ToFloat32(), Is.EqualTo(new[] { 0f, 200f, 255f }));
        Assert.That(bytes.ToInt32(), Is.EqualTo(new[] { 0, 200, 255 }));
        Assert.That(bytes.ToInt64(), Is.EqualTo(new[] { 0L, 200L, 255L }));

        NpyArray bools = NpyArray.FromBool([true, false], 2);
        Assert.That(bools.ToFloat32(), Is.EqualTo(new[] { 1f, 0f }));
        Assert.That(bools.ToUInt8(), Is.EqualTo(new byte[] { 1, 0 }));
        Assert.That(bools.ToInt32(), Is.EqualTo(new[] { 1, 0 }));

        NpyArray doubles = NpyArray.FromFloat64([0.5, double.NaN, 0.0], 3);
        Assert.That(doubles.ToFloat32(), Is.EqualTo(new[] { 0.5f, float.NaN, 0f }));
        Assert.That(doubles.ToBool(), Is.EqualTo(new[] { true, true, false }));

        Assert.That(NpyArray.FromInt32([5, 255], 2).ToUInt8(), Is.EqualTo(new byte[] { 5, 255 }));
        Assert.That(NpyArray.FromFloat32([2.5f], 1).ToFloat64(), Is.EqualTo(new[] { 2.5 }));
    }

    [Test]
    public void IntegerConversionsAreChecked()
    {
        var overflow = Assert.Throws<OverflowException>(() => NpyArray.FromInt64([1, 1L << 31], 2).ToInt32());
        Assert.That(overflow!.Message, Does.Contain("Element 1 (int64 value 2147483648) does not fit in int32"));
        Assert.Throws<OverflowException>(() => NpyArray.FromInt64([long.MinValue], 1).ToInt32());
        Assert.Throws<OverflowException>(() => NpyArray.FromInt32([256], 1).ToUInt8());
        Assert.Throws<OverflowException>(() => NpyArray.FromInt64([-1], 1).ToUInt8());
        Assert.Throws<InvalidOperationException>(() => NpyArray.FromFloat32([1f], 1).ToInt32());
        Assert.Throws<InvalidOperationException>(() => NpyArray.FromFloat64([1d], 1).ToInt64());
        Assert.Throws<InvalidOperationException>(() => NpyArray.FromFloat64([1d], 1).ToUInt8());
    }
}
