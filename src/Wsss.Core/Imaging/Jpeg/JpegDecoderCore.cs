using System.Buffers;
using static Wsss.Core.Imaging.Jpeg.JpegConstants;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>
/// The marker-segment state machine and entropy decoder (T.81 Annex B, F.2, G.2): reads the whole
/// file, fills each component's coefficient array scan by scan, then reconstructs the image with
/// <see cref="JpegIdct"/> and <see cref="JpegColorConverter"/>.
/// </summary>
internal sealed partial class JpegDecoderCore
{
    private readonly byte[] _data;
    private readonly int _length;
    private readonly string? _name;
    private int _pos;

    private readonly ushort[][] _quant = new ushort[4][];
    private readonly JpegHuffmanTable?[] _dcTables = new JpegHuffmanTable?[4];
    private readonly JpegHuffmanTable?[] _acTables = new JpegHuffmanTable?[4];
    private JpegComponent[] _components = [];
    private bool _frameSeen;
    private bool _progressive;
    private int _width, _height, _hMax, _vMax, _mcusPerLine, _mcusPerColumn;
    private int _restartInterval;
    private bool _sawJfif, _sawAdobe;
    private int _adobeTransform;
    private bool _anyScan;

    /// <summary>EXIF orientation (1..8), or 1 when absent or unreadable.</summary>
    public int ExifOrientation { get; private set; } = 1;

    // Entropy decoder state.
    private ulong _bits;
    private int _bitCount;
    private int _fakeBits;
    private bool _hitEnd;
    private bool _hitMarker;
    private int _fillBytes;
    private int _eobRun;

    // Pipelined inverse transform (see StartPipelinedTransform).
    private Plane[]? _planes;
    private Task? _idctTask;

    /// <summary>MCU rows decoded so far, in slot <see cref="ProgressSlot"/>, a cache line away from anything else.</summary>
    private readonly int[] _progress = new int[2 * ProgressSlot];
    private const int ProgressSlot = 16;
    private int _scanCount;
    private byte[]? _pixels;
    private JpegColorSpace _pipelineSpace;

    public JpegDecoderCore(byte[] data, int length, string? name)
    {
        _data = data;
        _length = length;
        _name = name;
    }

    /// <summary>Decodes the file into gray (1 channel) or RGB (3 channels).</summary>
    public ImageBuffer Decode()
    {
        try
        {
            return DecodeCore();
        }
        finally
        {
            ReleaseBuffers();
        }
    }

    private ImageBuffer DecodeCore()
    {
        if (_length < 4 || _data[0] != 0xFF || _data[1] != SOI)
            JpegThrowHelper.ThrowInvalid(_name, "missing SOI marker (not a JPEG file)");
        _pos = 2;
        while (true)
        {
            byte marker = NextMarker();
            if (marker == EOI) break;
            switch (marker)
            {
                case SOF0:
                case SOF1:
                case SOF2:
                    ReadFrame(marker == SOF2);
                    break;
                case SOF3:
                    JpegThrowHelper.ThrowUnsupported(_name, "lossless JPEG (SOF3)");
                    break;
                case SOF5: case SOF6: case SOF7:
                case DHP: case EXP:
                    JpegThrowHelper.ThrowUnsupported(_name, $"hierarchical JPEG (marker 0x{marker:X2})");
                    break;
                case SOF9: case SOF10: case SOF11: case SOF13: case SOF14: case SOF15: case DAC:
                    JpegThrowHelper.ThrowUnsupported(_name, $"arithmetic coding (marker 0x{marker:X2})");
                    break;
                case DHT:
                    ReadHuffmanTables();
                    break;
                case DQT:
                    ReadQuantTables();
                    break;
                case DRI:
                    {
                        int len = SegmentLength("DRI");
                        if (len != 4) JpegThrowHelper.ThrowInvalid(_name, $"DRI segment length {len}, expected 4");
                        _restartInterval = (_data[_pos] << 8) | _data[_pos + 1];
                        _pos += 2;
                        break;
                    }
                case SOS:
                    ReadScan();
                    break;
                case DNL:
                    JpegThrowHelper.ThrowUnsupported(_name, "DNL marker (height defined after the first scan)");
                    break;
                case APP0:
                case APP1:
                case APP14:
                    ReadApp(marker);
                    break;
                default:
                    if (marker >= RST0 && marker <= RST7) break; // stray restart marker: ignore, as libjpeg does
                    if ((marker >= 0xE0 && marker <= 0xEF) || marker == COM || marker == JPG || (marker >= 0xF0 && marker <= 0xFD))
                    {
                        SkipSegment(marker);
                        break;
                    }
                    JpegThrowHelper.ThrowInvalid(_name, $"unexpected marker 0x{marker:X2} at offset {_pos - 2}");
                    break;
            }
        }

        if (!_frameSeen) JpegThrowHelper.ThrowInvalid(_name, "no frame header (SOF) before EOI");
        if (!_anyScan) JpegThrowHelper.ThrowInvalid(_name, "no scan (SOS) before EOI");
        return Reconstruct();
    }

    /// <summary>Skips fill bytes and garbage to the next marker; returns its code. End of data counts as EOI only after a sequential scan.</summary>
    private byte NextMarker()
    {
        while (true)
        {
            while (_pos < _length && _data[_pos] != 0xFF) _pos++;
            while (_pos < _length && _data[_pos] == 0xFF) _pos++;
            if (_pos >= _length)
            {
                // A sequential file whose scans are complete may lack EOI; a progressive one may be missing scans.
                if (_anyScan && !_progressive) return EOI;
                JpegThrowHelper.ThrowTruncated(_name, _anyScan ? "the scans (no EOI marker)" : "the headers");
            }
            byte m = _data[_pos++];
            if (m != 0) return m;
        }
    }

    /// <summary>Reads a segment's 16-bit length, checks it fits the data, and returns it; <see cref="_pos"/> is left after the length field.</summary>
    private int SegmentLength(string what)
    {
        if (_pos + 2 > _length) JpegThrowHelper.ThrowTruncated(_name, what + " segment");
        int len = (_data[_pos] << 8) | _data[_pos + 1];
        if (len < 2) JpegThrowHelper.ThrowInvalid(_name, $"{what} segment length {len} is below 2");
        if (_pos + len > _length) JpegThrowHelper.ThrowTruncated(_name, what + " segment");
        _pos += 2;
        return len;
    }

    private void SkipSegment(byte marker)
    {
        int len = SegmentLength($"marker 0x{marker:X2}");
        _pos += len - 2;
    }

    private void ReadApp(byte marker)
    {
        int len = SegmentLength($"APP{marker - APP0}");
        int start = _pos, end = _pos + len - 2;
        var seg = _data.AsSpan(start, end - start);
        if (marker == APP0 && seg.Length >= 5 && seg[..5].SequenceEqual("JFIF\0"u8))
        {
            _sawJfif = true;
        }
        else if (marker == APP14 && seg.Length >= 12 && seg[..5].SequenceEqual("Adobe"u8))
        {
            _sawAdobe = true;
            _adobeTransform = seg[11];
        }
        else if (marker == APP1 && seg.Length >= 6 && seg[..6].SequenceEqual("Exif\0\0"u8) && ExifOrientation == 1)
        {
            ExifOrientation = JpegExif.ReadOrientation(seg[6..]);
        }
        _pos = end;
    }

    private void ReadQuantTables()
    {
        int len = SegmentLength("DQT");
        int end = _pos + len - 2;
        while (_pos < end)
        {
            int pq = _data[_pos] >> 4, tq = _data[_pos] & 15;
            _pos++;
            if (tq > 3) JpegThrowHelper.ThrowInvalid(_name, $"quantization table index {tq} (must be 0..3)");
            if (pq > 1) JpegThrowHelper.ThrowInvalid(_name, $"quantization table precision {pq} (must be 0 or 1)");
            int need = pq == 0 ? 64 : 128;
            if (_pos + need > end) JpegThrowHelper.ThrowInvalid(_name, "DQT segment shorter than its tables");
            var table = new ushort[64];
            var zz = ZigZag;
            for (int k = 0; k < 64; k++)
            {
                int v = pq == 0 ? _data[_pos + k] : (_data[_pos + 2 * k] << 8) | _data[_pos + 2 * k + 1];
                table[zz[k]] = (ushort)v;
            }
            _pos += need;
            _quant[tq] = table;
        }
        if (_pos != end) JpegThrowHelper.ThrowInvalid(_name, "DQT segment length does not match its tables");
    }

    private void ReadHuffmanTables()
    {
        int len = SegmentLength("DHT");
        int end = _pos + len - 2;
        Span<byte> counts = stackalloc byte[16];
        while (_pos < end)
        {
            if (_pos + 17 > end) JpegThrowHelper.ThrowInvalid(_name, "DHT segment shorter than its tables");
            int tc = _data[_pos] >> 4, th = _data[_pos] & 15;
            if (tc > 1 || th > 3) JpegThrowHelper.ThrowInvalid(_name, $"Huffman table class {tc} / index {th} out of range");
            _data.AsSpan(_pos + 1, 16).CopyTo(counts);
            _pos += 17;
            int total = 0;
            foreach (byte c in counts) total += c;
            if (total > 256 || _pos + total > end) JpegThrowHelper.ThrowInvalid(_name, $"Huffman table with {total} symbols does not fit its segment");
            var table = new JpegHuffmanTable();
            if (!table.Build(counts, _data.AsSpan(_pos, total)))
                JpegThrowHelper.ThrowInvalid(_name, "Huffman code counts exceed the code space");
            _pos += total;
            (tc == 0 ? _dcTables : _acTables)[th] = table;
        }
        if (_pos != end) JpegThrowHelper.ThrowInvalid(_name, "DHT segment length does not match its tables");
    }

    private void ReadFrame(bool progressive)
    {
        if (_frameSeen) JpegThrowHelper.ThrowInvalid(_name, "more than one frame header (SOF)");
        int len = SegmentLength("SOF");
        if (len < 8) JpegThrowHelper.ThrowInvalid(_name, $"SOF segment length {len} too short");
        int p = _data[_pos];
        if (p != 8) JpegThrowHelper.ThrowUnsupported(_name, $"{p}-bit sample precision (only 8-bit)");
        _height = (_data[_pos + 1] << 8) | _data[_pos + 2];
        _width = (_data[_pos + 3] << 8) | _data[_pos + 4];
        int nf = _data[_pos + 5];
        if (_height == 0) JpegThrowHelper.ThrowUnsupported(_name, "height 0 (defined by a DNL marker)");
        if (_width == 0) JpegThrowHelper.ThrowInvalid(_name, "width 0");
        if ((long)_width * _height > MaxPixels)
            JpegThrowHelper.ThrowInvalid(_name, $"declared size {_width}x{_height} exceeds the limit of {MaxPixels} pixels");
        if (nf is not (1 or 3 or 4)) JpegThrowHelper.ThrowUnsupported(_name, $"{nf} components (only 1, 3 or 4)");
        if (len != 8 + 3 * nf) JpegThrowHelper.ThrowInvalid(_name, $"SOF segment length {len} does not match {nf} components");
        _components = new JpegComponent[nf];
        _hMax = 1;
        _vMax = 1;
        for (int i = 0; i < nf; i++)
        {
            int o = _pos + 6 + 3 * i;
            var c = new JpegComponent { Id = _data[o], H = _data[o + 1] >> 4, V = _data[o + 1] & 15, QuantTable = _data[o + 2] };
            if (c.H is < 1 or > 4 || c.V is < 1 or > 4) JpegThrowHelper.ThrowInvalid(_name, $"component {c.Id} sampling factors {c.H}x{c.V} (must be 1..4)");
            if (c.QuantTable > 3) JpegThrowHelper.ThrowInvalid(_name, $"component {c.Id} quantization table {c.QuantTable} (must be 0..3)");
            for (int j = 0; j < i; j++)
                if (_components[j].Id == c.Id) JpegThrowHelper.ThrowInvalid(_name, $"duplicate component id {c.Id}");
            _hMax = Math.Max(_hMax, c.H);
            _vMax = Math.Max(_vMax, c.V);
            _components[i] = c;
        }
        _pos += len - 2;

        _mcusPerLine = (_width + 8 * _hMax - 1) / (8 * _hMax);
        _mcusPerColumn = (_height + 8 * _vMax - 1) / (8 * _vMax);
        foreach (var c in _components)
        {
            if (_hMax % c.H != 0 || _vMax % c.V != 0)
                JpegThrowHelper.ThrowUnsupported(_name, $"non-integral sampling ratio {_hMax}/{c.H} x {_vMax}/{c.V}");
            c.Width = (int)(((long)_width * c.H + _hMax - 1) / _hMax);
            c.Height = (int)(((long)_height * c.V + _vMax - 1) / _vMax);
            c.DataBlocksPerLine = (c.Width + 7) / 8;
            c.DataBlocksPerColumn = (c.Height + 7) / 8;
            c.BlocksPerLine = _mcusPerLine * c.H;
            c.BlocksPerColumn = _mcusPerColumn * c.V;
            int count = c.BlocksPerLine * c.BlocksPerColumn * 64;
            c.Coefficients = ArrayPool<short>.Shared.Rent(count);
            // Sequential scans zero each block as they decode it (as libjpeg does); components that no scan
            // names are cleared in AllocatePlanes.
            if (progressive) Array.Clear(c.Coefficients, 0, count);
        }
        _progressive = progressive;
        _frameSeen = true;
    }

    private void ReadScan()
    {
        if (!_frameSeen) JpegThrowHelper.ThrowInvalid(_name, "scan (SOS) before the frame header (SOF)");
        int len = SegmentLength("SOS");
        int ns = _data[_pos];
        if (ns < 1 || ns > 4 || len != 6 + 2 * ns) JpegThrowHelper.ThrowInvalid(_name, $"SOS segment with {ns} components and length {len}");
        var comps = new JpegComponent[ns];
        int o = _pos + 1;
        int blocksPerMcu = 0;
        for (int i = 0; i < ns; i++, o += 2)
        {
            int id = _data[o];
            JpegComponent? c = null;
            foreach (var cc in _components) if (cc.Id == id) c = cc;
            if (c is null) JpegThrowHelper.ThrowInvalid(_name, $"scan names unknown component id {id}");
            for (int j = 0; j < i; j++) if (comps[j] == c) JpegThrowHelper.ThrowInvalid(_name, $"scan names component {id} twice");
            int td = _data[o + 1] >> 4, ta = _data[o + 1] & 15;
            if (td > 3 || ta > 3) JpegThrowHelper.ThrowInvalid(_name, $"scan Huffman table indices {td}/{ta} out of range");
            c.DcTable = _dcTables[td];
            c.AcTable = _acTables[ta];
            comps[i] = c;
            blocksPerMcu += c.H * c.V;
        }
        if (ns > 1 && blocksPerMcu > 10) JpegThrowHelper.ThrowInvalid(_name, $"{blocksPerMcu} blocks per MCU (at most 10)");
        int ss = _data[o], se = _data[o + 1], ah = _data[o + 2] >> 4, al = _data[o + 2] & 15;
        _pos += len - 2;

        if (_progressive)
        {
            bool bad = ss > 63 || se > 63 || se < ss || al > 13 || ah > 13 || (ss == 0 && se != 0) || (ss > 0 && ns != 1);
            if (bad) JpegThrowHelper.ThrowInvalid(_name, $"progressive scan parameters Ss={ss} Se={se} Ah={ah} Al={al} with {ns} component(s)");
        }
        else if (ss != 0 || se != 63 || ah != 0 || al != 0)
        {
            // libjpeg ignores these in sequential mode (warning only); so do we.
            ss = 0; se = 63; ah = 0; al = 0;
        }

        foreach (var c in comps)
        {
            bool needDc = ss == 0 && ah == 0;
            bool needAc = se > 0 || !_progressive;
            if (needDc && c.DcTable is null) JpegThrowHelper.ThrowInvalid(_name, $"scan uses an undefined DC Huffman table (component {c.Id})");
            if ((needAc && (!_progressive || ss > 0)) && c.AcTable is null) JpegThrowHelper.ThrowInvalid(_name, $"scan uses an undefined AC Huffman table (component {c.Id})");
            if (c.Quant is null)
            {
                // libjpeg latches a component's table when its first scan starts.
                if (_quant[c.QuantTable] is null) JpegThrowHelper.ThrowInvalid(_name, $"component {c.Id} uses undefined quantization table {c.QuantTable}");
                c.Quant = (ushort[])_quant[c.QuantTable].Clone();
            }
            c.DcPredictor = 0;
        }

        _scanCount++;
        bool pipeline = _scanCount == 1 && !_progressive && ns > 1 && ns == _components.Length && UseParallel();
        if (pipeline) StartPipelinedTransform();
        try
        {
            DecodeScan(comps, ss, se, ah, al);
        }
        finally
        {
            // Lets the transform run to its end even when the scan failed, so that it can be awaited.
            if (pipeline) Volatile.Write(ref _progress[ProgressSlot], int.MaxValue);
        }
        _anyScan = true;
    }
}
