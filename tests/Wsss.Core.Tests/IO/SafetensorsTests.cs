using NUnit.Framework;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Wsss.Core.IO;
using static Wsss.Core.Tests.IO.IoTestHelpers;

namespace Wsss.Core.Tests.IO;

[TestFixture]
public class SafetensorsTests
{
    // ---- reference files (see Fixtures/io/make_io_fixtures.py) ---------------------------------

    [Test]
    public void ReadsReferenceFileWithTorchValues()
    {
        IReadOnlyDictionary<string, SafetensorsTensor> tensors = Safetensors.Read(Fixture("mixed.safetensors"), out var metadata);
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(Fixture("mixed_expected.json")));

        Assert.That(metadata, Is.EquivalentTo(new Dictionary<string, string> { ["format"] = "pt", ["source"] = "make_io_fixtures.py" }));
        Assert.That(tensors.Keys, Is.EqualTo(new[] { "bn.num_batches_tracked", "conv.weight", "brain", "half" }));

        SafetensorsTensor weight = tensors["conv.weight"];
        Assert.That(weight.DType, Is.EqualTo(SafetensorsDType.F32));
        Assert.That(weight.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(weight.ToFloat32(), Is.EqualTo(Floats(expected, "conv.weight")));

        SafetensorsTensor half = tensors["half"];
        Assert.That(half.DType, Is.EqualTo(SafetensorsDType.F16));
        Assert.That(half.DTypeName, Is.EqualTo("F16"));
        Assert.That(half.ToFloat32(), Is.EqualTo(Floats(expected, "half")));

        SafetensorsTensor brain = tensors["brain"];
        Assert.That(brain.DType, Is.EqualTo(SafetensorsDType.BF16));
        Assert.That(brain.ToFloat32(), Is.EqualTo(Floats(expected, "brain")));

        SafetensorsTensor steps = tensors["bn.num_batches_tracked"];
        Assert.That(steps.DType, Is.EqualTo(SafetensorsDType.I64));
        Assert.That(steps.ToInt64(), Is.EqualTo(expected.RootElement.GetProperty("bn.num_batches_tracked").EnumerateArray().Select(e => e.GetInt64()).ToArray()));
        Assert.That(steps.ToFloat32(), Is.EqualTo(new[] { 7f, -(float)(1L << 40) }));

        Assert.That(Safetensors.ReadMetadata(Fixture("mixed.safetensors"))["format"], Is.EqualTo("pt"));
    }

    [Test]
    public void WritesTheSameBytesAsTheReferenceLayout()
    {
        byte[] reference = File.ReadAllBytes(Fixture("mixed.safetensors"));
        IReadOnlyDictionary<string, SafetensorsTensor> tensors = Safetensors.Read(Fixture("mixed.safetensors"), out var metadata);
        // Shuffle the insertion order: the writer must impose its own (dtype alignment, then name).
        var shuffled = tensors.Reverse().ToDictionary(p => p.Key, p => p.Value);
        var ms = new MemoryStream();
        Safetensors.Write(ms, shuffled, metadata);
        Assert.That(Encoding.UTF8.GetString(ms.ToArray()), Is.EqualTo(Encoding.UTF8.GetString(reference)));
        Assert.That(ms.ToArray(), Is.EqualTo(reference));
    }

    [Test]
    public void Float16AndBFloat16RoundingMatchesTorch()
    {
        IReadOnlyDictionary<string, SafetensorsTensor> t = Safetensors.Read(Fixture("rounding.safetensors"));
        float[] src = t["src"].ToFloat32();
        Assert.That(src, Has.Length.EqualTo(64));

        foreach ((string name, SafetensorsDType dtype) in new[] { ("bf16", SafetensorsDType.BF16), ("f16", SafetensorsDType.F16) })
        {
            ushort[] torchBits = Bits(t[name]);
            ushort[] ourBits = Bits(SafetensorsTensor.FromFloat32(src, [src.Length], dtype));
            float[] torchValues = t[name].ToFloat32();
            for (int i = 0; i < src.Length; i++)
            {
                if (float.IsNaN(src[i]))
                {
                    // NaN payloads differ between conversion routines; only NaN-ness is specified.
                    Assert.That(float.IsNaN(torchValues[i]), Is.True);
                    Assert.That(float.IsNaN(SafetensorsTensor.FromFloat32([src[i]], [1], dtype).ToFloat32()[0]), Is.True);
                    continue;
                }

                Assert.That(ourBits[i], Is.EqualTo(torchBits[i]), $"{name} of {src[i]:R} (element {i})");
            }
        }
    }

    private static ushort[] Bits(SafetensorsTensor t)
    {
        ReadOnlySpan<byte> raw = t.Data.Span;
        var bits = new ushort[raw.Length / 2];
        for (int i = 0; i < bits.Length; i++)
        {
            bits[i] = BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]);
        }

        return bits;
    }

    private static float[] Floats(JsonDocument doc, string name) =>
        doc.RootElement.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    // ---- round trips ---------------------------------------------------------------------------

    private static readonly int[][] Shapes = [[], [5], [2, 3, 4], [0, 3]];

    private static IEnumerable<TestCaseData> RoundTripCases()
    {
        foreach (SafetensorsDType dtype in Enum.GetValues<SafetensorsDType>())
        {
            foreach (int[] shape in Shapes)
            {
                yield return new TestCaseData(dtype, shape).SetArgDisplayNames(dtype.ToString(), "(" + string.Join(",", shape) + ")");
            }
        }
    }

    private static SafetensorsTensor Sample(SafetensorsDType dtype, int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        int size = SafetensorsTensor.GetElementSize(dtype);
        byte[] raw = new byte[n * size];
        for (int i = 0; i < raw.Length; i++)
        {
            raw[i] = (byte)(i * 7 + (int)dtype);
        }

        if (dtype == SafetensorsDType.Bool)
        {
            for (int i = 0; i < raw.Length; i++)
            {
                raw[i] &= 1;
            }
        }

        return SafetensorsTensor.FromRawBytes(dtype, raw, shape);
    }

    [TestCaseSource(nameof(RoundTripCases))]
    public void RoundTripsEveryDtypeAndRank(SafetensorsDType dtype, int[] shape)
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "t.safetensors");
            var tensors = new Dictionary<string, SafetensorsTensor>
            {
                ["x"] = Sample(dtype, shape),
                ["other"] = SafetensorsTensor.FromFloat32([1f, 2f], [2]),
            };
            Safetensors.Write(path, tensors);
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary file may be left behind");
            IReadOnlyDictionary<string, SafetensorsTensor> back = Safetensors.Read(path);
            Assert.That(back["x"].DType, Is.EqualTo(dtype));
            Assert.That(back["x"].Shape, Is.EqualTo(shape));
            Assert.That(back["x"].Data.ToArray(), Is.EqualTo(tensors["x"].Data.ToArray()));
            Assert.That(back["other"].ToFloat32(), Is.EqualTo(new[] { 1f, 2f }));
            Assert.That(Safetensors.ReadMetadata(path), Is.Empty);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase(SafetensorsDType.F32)]
    [TestCase(SafetensorsDType.F16)]
    [TestCase(SafetensorsDType.BF16)]
    [TestCase(SafetensorsDType.F64)]
    public void FromFloat32StoresInTheRequestedType(SafetensorsDType storeAs)
    {
        float[] values = [0f, -1.5f, 2f, 0.375f, float.PositiveInfinity, float.NegativeInfinity, -0f, 96f];
        SafetensorsTensor t = SafetensorsTensor.FromFloat32(values, [2, 4], storeAs);
        Assert.That(t.DType, Is.EqualTo(storeAs));
        Assert.That(t.Data.Length, Is.EqualTo(values.Length * SafetensorsTensor.GetElementSize(storeAs)));
        var ms = new MemoryStream();
        Safetensors.Write(ms, new Dictionary<string, SafetensorsTensor> { ["w"] = t });
        ms.Position = 0;
        Assert.That(Safetensors.Read(ms)["w"].ToFloat32(), Is.EqualTo(values));
    }

    [Test]
    public void BFloat16RoundsToNearestEven()
    {
        static float Bf16(uint bits) =>
            SafetensorsTensor.FromFloat32([BitConverter.UInt32BitsToSingle(bits)], [1], SafetensorsDType.BF16).ToFloat32()[0];

        Assert.That(BitConverter.SingleToUInt32Bits(Bf16(0x3F80_8000)), Is.EqualTo(0x3F80_0000u), "tie rounds down to even");
        Assert.That(BitConverter.SingleToUInt32Bits(Bf16(0x3F81_8000)), Is.EqualTo(0x3F82_0000u), "tie rounds up to even");
        Assert.That(BitConverter.SingleToUInt32Bits(Bf16(0x3F80_8001)), Is.EqualTo(0x3F81_0000u), "above the tie rounds up");
        Assert.That(Bf16(0x7F7F_FFFF), Is.EqualTo(float.PositiveInfinity), "max float overflows to infinity");
        Assert.That(float.IsNaN(Bf16(0x7F80_0001)), Is.True, "signalling NaN stays NaN");
    }

    [Test]
    public void FromFloat32RejectsIntegerStorage()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SafetensorsTensor.FromFloat32([1f], [1], SafetensorsDType.I64));
        var ex = Assert.Throws<ArgumentException>(() => SafetensorsTensor.FromFloat32([1f, 2f], [3]));
        Assert.That(ex!.Message, Does.Contain("Shape (3,) holds 3 element(s) but the data has 2"));
        Assert.Throws<InvalidOperationException>(() => SafetensorsTensor.FromFloat32([1f], [1]).ToInt64());
    }

    [Test]
    public void WriterOrdersByAlignmentThenNameAndAlignsData()
    {
        var tensors = new Dictionary<string, SafetensorsTensor>
        {
            ["a_bool"] = Sample(SafetensorsDType.Bool, [3]),
            ["b_u8"] = Sample(SafetensorsDType.U8, [5]),
            ["c_f16"] = Sample(SafetensorsDType.F16, [3]),
            ["d_bf16"] = Sample(SafetensorsDType.BF16, [1]),
            ["e_i32"] = Sample(SafetensorsDType.I32, [3]),
            ["f_f32"] = Sample(SafetensorsDType.F32, [1]),
            ["g_f64"] = Sample(SafetensorsDType.F64, [2]),
            ["z_i64"] = Sample(SafetensorsDType.I64, [1]),
            ["y_i64"] = Sample(SafetensorsDType.I64, [1]),
        };
        var ms = new MemoryStream();
        Safetensors.Write(ms, tensors, new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        byte[] bytes = ms.ToArray();
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.EqualTo(0), "header padded to 8 bytes");
        string json = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.That(json, Does.StartWith("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"},\"y_i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},\"z_i64\""));

        using JsonDocument doc = JsonDocument.Parse(json);
        string[] order = doc.RootElement.EnumerateObject().Select(p => p.Name).Skip(1).ToArray();
        Assert.That(order, Is.EqualTo(new[] { "y_i64", "z_i64", "g_f64", "f_f32", "e_i32", "d_bf16", "c_f16", "b_u8", "a_bool" }));
        foreach (JsonProperty p in doc.RootElement.EnumerateObject().Skip(1))
        {
            long begin = p.Value.GetProperty("data_offsets")[0].GetInt64();
            int size = SafetensorsTensor.GetElementSize(tensors[p.Name].DType);
            Assert.That(begin % size, Is.EqualTo(0), $"{p.Name} aligned to its element size");
        }
    }

    [TestCase("")]
    [TestCase("__metadata__")]
    public void RejectsReservedOrEmptyNames(string name)
    {
        var tensors = new Dictionary<string, SafetensorsTensor> { [name] = Sample(SafetensorsDType.F32, [1]) };
        Assert.Throws<ArgumentException>(() => Safetensors.Write(new MemoryStream(), tensors));
    }

    [Test]
    public void ReadsFromNonSeekableStream()
    {
        var ms = new MemoryStream();
        Safetensors.Write(ms, new Dictionary<string, SafetensorsTensor> { ["w"] = SafetensorsTensor.FromInt64([1, 2, 3], [3]) });
        Assert.That(Safetensors.Read(new NonSeekableStream(ms.ToArray()))["w"].ToInt64(), Is.EqualTo(new[] { 1L, 2L, 3L }));
    }

    // ---- corruption ----------------------------------------------------------------------------

    /// <summary>Builds a file from a header JSON text and <paramref name="dataLength"/> zero bytes.</summary>
    private static byte[] BuildFile(string header, int dataLength, long? declaredLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] bytes = new byte[8 + json.Length + dataLength];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, declaredLength ?? json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static InvalidDataException Reject(byte[] bytes)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Read(new MemoryStream(bytes), "bad.safetensors"));
        Assert.That(ex!.Message, Does.Contain("'bad.safetensors'"));
        return ex;
    }

    [Test]
    public void TruncatedFilesFailCleanlyAtEveryLength()
    {
        byte[] full = File.ReadAllBytes(Fixture("mixed.safetensors"));
        long headerEnd = 8 + BinaryPrimitives.ReadInt64LittleEndian(full);
        foreach (int length in new[] { 0, 1, 7, 8, 9, 100, (int)headerEnd - 1, (int)headerEnd, (int)headerEnd + 20, full.Length - 1 })
        {
            foreach (Stream s in new Stream[] { new MemoryStream(full[..length]), new NonSeekableStream(full[..length]) })
            {
                var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Read(s, "cut.safetensors"), $"length {length}");
                Assert.That(ex!.Message, Does.Contain("'cut.safetensors'"));
                Assert.That(ex.Message, Does.Contain("truncated").Or.Contain("exceeds"), $"length {length}: {ex.Message}");
            }
        }
    }

    [Test]
    public void TruncatedFileOnDiskNamesFileAndTensor()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "cut.safetensors");
            byte[] full = File.ReadAllBytes(Fixture("mixed.safetensors"));
            File.WriteAllBytes(path, full[..^3]);
            var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Read(path));
            Assert.That(ex!.Message, Does.Contain(path));
            Assert.That(ex.Message, Does.Contain("truncated tensor data"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void RejectsAbsurdHeaderLength()
    {
        byte[] bytes = BuildFile("{}", 0, declaredLength: 1L << 40);
        Assert.That(Reject(bytes).Message, Does.Contain("header length 1099511627776 exceeds the limit of 100000000 bytes"));
        byte[] negative = BuildFile("{}", 0, declaredLength: -1);
        Assert.That(Reject(negative).Message, Does.Contain("exceeds the limit"));
    }

    [Test]
    public void RejectsHeaderLengthBeyondTheFile()
    {
        byte[] bytes = BuildFile("{}", 0, declaredLength: 5000);
        Assert.That(Reject(bytes).Message, Does.Contain("header length 5000 exceeds the 2 bytes that follow"));
    }

    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]", "not well-formed JSON")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}garbage", "not well-formed JSON")]
    [TestCase("[1, 2, 3, 4]", "does not start with '{'")]
    [TestCase("\u0001\u0002garbage", "does not start with '{'")]
    [TestCase("{\"a\":[0,4]}", "tensor 'a': entry is a JSON Array")]
    [TestCase("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'a': missing or non-string 'dtype'")]
    [TestCase("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", "tensor 'a': dtype 'F8_E4M3' is not supported")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "tensor 'a': missing or non-array 'shape'")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "tensor 'a': shape entry 0 is -1")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "tensor 'a': shape entry 0 is 1.5")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "tensor 'a': 'data_offsets' must be [begin, end]")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "tensor 'a': 'data_offsets' must be [begin, end]")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "tensor 'a': 'data_offsets' must be [begin, end]")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", "tensor 'a': shape (2, 3) of F32 needs 24 bytes but data_offsets [0, 20] span 20")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}", "needs more than 2^63 bytes")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", "tensor 'b': data_offsets [2, 6] overlaps")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", "tensor 'b': data_offsets [8, 12] leaves a gap")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "tensor 'a': data_offsets [4, 8] leaves a gap")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "tensor 'a' appears twice")]
    [TestCase("{\"__metadata__\":{\"k\":3},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'__metadata__' entry 'k' is a JSON Number")]
    [TestCase("{\"__metadata__\":[1],\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'__metadata__' is a JSON Array")]
    public void RejectsCorruptHeaders(string header, string expectedProblem)
    {
        Assert.That(Reject(BuildFile(header, 16)).Message, Does.Contain(expectedProblem));
    }

    [Test]
    public void RejectsOffsetsBeyondTheBuffer()
    {
        byte[] bytes = BuildFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,4000000]}}", 16);
        Assert.That(Reject(bytes).Message, Does.Contain("truncated tensor data; expected 4000000 bytes, found 16"));
    }

    [Test]
    public void RejectsTrailingBytes()
    {
        byte[] bytes = BuildFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 16);
        Assert.That(Reject(bytes).Message, Does.Contain("describes 4 bytes of tensor data but 16 bytes follow it"));
    }

    [Test]
    public void AcceptsMinimalHandWrittenHeaders()
    {
        byte[] bytes = BuildFile("{\"__metadata__\":null, \"s\" : {\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]} ,\"e\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[0,0]}}   ", 4);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), -9);
        IReadOnlyDictionary<string, SafetensorsTensor> t = Safetensors.Read(new MemoryStream(bytes));
        Assert.That(t["s"].Shape, Is.Empty);
        Assert.That(t["s"].ToInt64(), Is.EqualTo(new[] { -9L }));
        Assert.That(t["e"].Length, Is.EqualTo(0));
        Assert.That(Safetensors.Read(new MemoryStream(BuildFile("{}", 0))), Is.Empty);
    }
}
