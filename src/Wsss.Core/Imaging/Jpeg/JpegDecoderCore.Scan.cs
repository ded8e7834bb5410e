using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Wsss.Core.Imaging.Jpeg.JpegConstants;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>Entropy-coded segment decoding: Huffman sequential (F.2.2) and progressive (G.1.2, G.2) scans.</summary>
internal sealed partial class JpegDecoderCore
{
    private void DecodeScan(JpegComponent[] comps, int ss, int se, int ah, int al)
    {
        _bits = 0;
        _bitCount = 0;
        _fakeBits = 0;
        _hitEnd = false;
        _hitMarker = false;
        _fillBytes = 0;
        _eobRun = 0;

        int mode = !_progressive ? 0 : ss == 0 ? (ah == 0 ? 1 : 2) : (ah == 0 ? 3 : 4);
        if (comps.Length == 1)
        {
            var c = comps[0];
            int total = c.DataBlocksPerLine * c.DataBlocksPerColumn, done = 0;
            for (int by = 0; by < c.DataBlocksPerColumn; by++)
            {
                for (int bx = 0; bx < c.DataBlocksPerLine; bx++)
                {
                    var block = c.Coefficients.AsSpan(((by * c.BlocksPerLine) + bx) * 64, 64);
                    DecodeBlock(c, block, mode, ss, se, al);
                    done++;
                    if (_restartInterval > 0 && done % _restartInterval == 0 && done < total) Restart(comps);
                }
            }
        }
        else
        {
            int total = _mcusPerLine * _mcusPerColumn, done = 0;
            for (int my = 0; my < _mcusPerColumn; my++)
            {
                for (int mx = 0; mx < _mcusPerLine; mx++)
                {
                    foreach (var c in comps)
                    {
                        for (int v = 0; v < c.V; v++)
                        {
                            int row = (my * c.V) + v;
                            for (int h = 0; h < c.H; h++)
                            {
                                int col = (mx * c.H) + h;
                                DecodeBlock(c, c.Coefficients.AsSpan(((row * c.BlocksPerLine) + col) * 64, 64), mode, ss, se, al);
                            }
                        }
                    }
                    done++;
                    if (_restartInterval > 0 && done % _restartInterval == 0 && done < total) Restart(comps);
                }
                Volatile.Write(ref _progress[ProgressSlot], my + 1);
            }
        }
        _bits = 0;
        _bitCount = 0;
        _fakeBits = 0;
    }

    private void DecodeBlock(JpegComponent c, Span<short> block, int mode, int ss, int se, int al)
    {
        switch (mode)
        {
            case 0: DecodeBaseline(c, block); break;
            case 1:
                {
                    int t = DecodeHuffman(c.DcTable!);
                    c.DcPredictor += Receive(t);
                    block[0] = unchecked((short)(c.DcPredictor << al));
                    break;
                }
            case 2:
                if (GetBits(1) != 0) block[0] |= unchecked((short)(1 << al));
                break;
            case 3: DecodeAcFirst(c, block, ss, se, al); break;
            default: DecodeAcRefine(c, block, ss, se, al); break;
        }
    }

    private void DecodeBaseline(JpegComponent c, Span<short> block)
    {
        // Hot loop: the bit buffer and read position live in locals and are written back around slow refills.
        ref byte zz = ref MemoryMarshal.GetReference(ZigZag);
        ref short blk = ref MemoryMarshal.GetReference(block[..64]);
        Unsafe.InitBlockUnaligned(ref Unsafe.As<short, byte>(ref blk), 0, 64 * sizeof(short));
        var dcTable = c.DcTable!;
        var ac = c.AcTable!;
        ref ushort dcLookup = ref MemoryMarshal.GetArrayDataReference(dcTable.Lookup);
        ref ushort acLookup = ref MemoryMarshal.GetArrayDataReference(ac.Lookup);
        ref int acFast = ref MemoryMarshal.GetArrayDataReference(ac.AcFast);
        ref byte data = ref MemoryMarshal.GetArrayDataReference(_data);
        ulong bits = _bits;
        int count = _bitCount;
        int pos = _pos;
        // Refills may read 8 bytes at pos only up to here (and not at all once a marker or the end is reached).
        int fastEnd = _hitMarker || _hitEnd ? -1 : _length - 8;

        if (count < 32)
        {
            ulong w;
            if (pos <= fastEnd && (w = PeekWord(ref data, pos)) != 0)
            {
                int n = (63 - count) >> 3;
                bits |= (w >> (64 - (8 * n))) << (64 - count - (8 * n));
                count += 8 * n;
                pos += n;
            }
            else
            {
                _bits = bits; _bitCount = count; _pos = pos;
                Fill();
                bits = _bits; count = _bitCount; pos = _pos;
                fastEnd = _hitMarker || _hitEnd ? -1 : _length - 8;
            }
        }
        int entry = Unsafe.Add(ref dcLookup, (int)(bits >> (64 - JpegHuffmanTable.LookupBits)));
        int t;
        if (entry != 0)
        {
            int len = entry >> 8;
            bits <<= len;
            count -= len;
            t = entry & 255;
        }
        else
        {
            _bits = bits; _bitCount = count; _pos = pos;
            t = DecodeHuffmanSlow(dcTable);
            bits = _bits; count = _bitCount; pos = _pos;
        }
        if (t != 0)
        {
            if (t > 16) JpegThrowHelper.ThrowInvalid(_name, $"DC magnitude category {t} exceeds 16 bits");
            if (count < 16) { _bits = bits; _bitCount = count; _pos = pos; Fill(); bits = _bits; count = _bitCount; pos = _pos; fastEnd = _hitMarker || _hitEnd ? -1 : _length - 8; }
            int v = (int)(bits >> (64 - t));
            bits <<= t;
            count -= t;
            c.DcPredictor += Extend(v, t);
        }
        blk = unchecked((short)c.DcPredictor);

        for (int k = 1; k < 64; k++)
        {
            if (count < 32)
            {
                ulong w;
                if (pos <= fastEnd && (w = PeekWord(ref data, pos)) != 0)
                {
                    int n = (63 - count) >> 3;
                    bits |= (w >> (64 - (8 * n))) << (64 - count - (8 * n));
                    count += 8 * n;
                    pos += n;
                }
                else
                {
                    _bits = bits; _bitCount = count; _pos = pos;
                    Fill();
                    bits = _bits; count = _bitCount; pos = _pos;
                    fastEnd = _hitMarker || _hitEnd ? -1 : _length - 8;
                }
            }
            int index = (int)(bits >> (64 - JpegHuffmanTable.LookupBits));
            int fast = Unsafe.Add(ref acFast, index);
            if (fast != 0)
            {
                k += (fast >> 4) & 15;
                int len = fast & 15;
                bits <<= len;
                count -= len;
                Unsafe.Add(ref blk, Unsafe.Add(ref zz, k)) = unchecked((short)(fast >> 16));
                continue;
            }
            int rs;
            entry = Unsafe.Add(ref acLookup, index);
            if (entry != 0)
            {
                int len = entry >> 8;
                bits <<= len;
                count -= len;
                rs = entry & 255;
            }
            else
            {
                _bits = bits; _bitCount = count; _pos = pos;
                rs = DecodeHuffmanSlow(ac);
                bits = _bits; count = _bitCount; pos = _pos;
                if (count < 16) { _bits = bits; _bitCount = count; _pos = pos; Fill(); bits = _bits; count = _bitCount; pos = _pos; fastEnd = _hitMarker || _hitEnd ? -1 : _length - 8; }
            }
            int r = rs >> 4, s = rs & 15;
            if (s != 0)
            {
                k += r;
                int v = (int)(bits >> (64 - s));
                bits <<= s;
                count -= s;
                Unsafe.Add(ref blk, Unsafe.Add(ref zz, k)) = unchecked((short)Extend(v, s));
            }
            else
            {
                if (r != 15) break;
                k += 15;
            }
        }
        _bits = bits;
        _bitCount = count;
        _pos = pos;
        if (count < _fakeBits) ConsumedFill();
    }

    /// <summary>The eight bytes at <paramref name="pos"/>, big-endian, or 0 when one of them is 0xFF (stuffing or a marker).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PeekWord(ref byte data, int pos)
    {
        ulong w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref data, pos));
        if (BitConverter.IsLittleEndian) w = BinaryPrimitives.ReverseEndianness(w);
        ulong inv = ~w;
        return ((inv - 0x0101010101010101UL) & ~inv & 0x8080808080808080UL) == 0 ? w : 0;
    }

    private void DecodeAcFirst(JpegComponent c, Span<short> block, int ss, int se, int al)
    {
        if (_eobRun > 0)
        {
            _eobRun--;
            return;
        }
        ReadOnlySpan<byte> zz = ZigZag;
        var ac = c.AcTable!;
        for (int k = ss; k <= se; k++)
        {
            int rs = DecodeHuffman(ac);
            int r = rs >> 4, s = rs & 15;
            if (s != 0)
            {
                k += r;
                block[zz[k]] = unchecked((short)(Receive(s) * (1 << al)));
            }
            else if (r < 15)
            {
                _eobRun = (1 << r) - 1;
                if (r != 0) _eobRun += GetBits(r);
                break;
            }
            else
            {
                k += 15;
            }
        }
    }

    private void DecodeAcRefine(JpegComponent c, Span<short> block, int ss, int se, int al)
    {
        ReadOnlySpan<byte> zz = ZigZag;
        int p1 = 1 << al, m1 = -1 << al;
        int k = ss;
        if (_eobRun == 0)
        {
            var ac = c.AcTable!;
            for (; k <= se; k++)
            {
                int rs = DecodeHuffman(ac);
                int r = rs >> 4, s = rs & 15;
                if (s != 0)
                {
                    // s must be 1 here; libjpeg treats other sizes the same way (with a warning).
                    s = GetBits(1) != 0 ? p1 : m1;
                }
                else if (r != 15)
                {
                    _eobRun = 1 << r;
                    if (r != 0) _eobRun += GetBits(r);
                    break;
                }
                while (k <= se)
                {
                    int z = zz[k];
                    int coef = block[z];
                    if (coef != 0)
                    {
                        if (GetBits(1) != 0 && (coef & p1) == 0)
                            block[z] = unchecked((short)(coef >= 0 ? coef + p1 : coef + m1));
                    }
                    else
                    {
                        if (--r < 0) break;
                    }
                    k++;
                }
                if (s != 0) block[zz[k]] = unchecked((short)s);
            }
        }
        if (_eobRun > 0)
        {
            for (; k <= se; k++)
            {
                int z = zz[k];
                int coef = block[z];
                if (coef != 0 && GetBits(1) != 0 && (coef & p1) == 0)
                    block[z] = unchecked((short)(coef >= 0 ? coef + p1 : coef + m1));
            }
            _eobRun--;
        }
    }

    /// <summary>Reads an s-bit magnitude and sign-extends it (F.2.2.1 EXTEND).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Receive(int s)
    {
        if (s == 0) return 0;
        if (s > 16) JpegThrowHelper.ThrowInvalid(_name, $"coefficient magnitude category {s} exceeds 16 bits");
        return Extend(GetBits(s), s);
    }

    /// <summary>EXTEND without a branch: a leading 0 bit means a negative value, v − (2^s − 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Extend(int v, int s) => v + (((v >> (s - 1)) - 1) & ((-1 << s) + 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int GetBits(int n)
    {
        if (_bitCount < n) Fill();
        int v = (int)(_bits >> (64 - n));
        Consume(n);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Consume(int n)
    {
        _bits <<= n;
        _bitCount -= n;
        if (_bitCount < _fakeBits) ConsumedFill();
    }

    private void ConsumedFill()
    {
        if (_hitEnd && !_hitMarker) JpegThrowHelper.ThrowTruncated(_name, "entropy-coded data");
        if (_fillBytes > MaxFillBytesAfterMarker)
            JpegThrowHelper.ThrowInvalid(_name, "entropy-coded data ends early (a marker interrupts the scan)");
        _fakeBits = _bitCount;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int DecodeHuffman(JpegHuffmanTable table)
    {
        if (_bitCount < 16) Fill();
        int entry = table.Lookup[(int)(_bits >> (64 - JpegHuffmanTable.LookupBits))];
        if (entry != 0)
        {
            Consume(entry >> 8);
            return entry & 255;
        }
        return DecodeHuffmanSlow(table);
    }

    private int DecodeHuffmanSlow(JpegHuffmanTable table)
    {
        int len = JpegHuffmanTable.LookupBits + 1;
        int code = (int)(_bits >> (64 - len));
        while (code > table.MaxCode[len])
        {
            len++;
            if (len > 16) JpegThrowHelper.ThrowInvalid(_name, "bad Huffman code in entropy-coded data");
            code = (int)(_bits >> (64 - len));
        }
        Consume(len);
        return table.Values[(table.ValOffset[len] + code) & 255];
    }

    /// <summary>Tops the bit buffer up to more than 56 bits, unstuffing 0xFF00 and feeding zeros at a marker or the end of data.</summary>
    private void Fill()
    {
        // Fast path: eight bytes ahead without any 0xFF (no stuffing, no marker) are appended in one go.
        if (!_hitMarker && !_hitEnd && _pos + 8 <= _length)
        {
            ulong w = BinaryPrimitives.ReadUInt64BigEndian(_data.AsSpan(_pos, 8));
            ulong inv = ~w;
            if (((inv - 0x0101010101010101UL) & ~inv & 0x8080808080808080UL) == 0)
            {
                int n = (63 - _bitCount) >> 3;
                _bits |= (w >> (64 - (8 * n))) << (64 - _bitCount - (8 * n));
                _bitCount += 8 * n;
                _pos += n;
                return;
            }
        }
        while (_bitCount <= 56)
        {
            int b;
            if (_hitMarker || _hitEnd)
            {
                b = 0;
                _fakeBits += 8;
                _fillBytes++;
            }
            else if (_pos >= _length)
            {
                _hitEnd = true;
                continue;
            }
            else
            {
                b = _data[_pos];
                if (b == 0xFF)
                {
                    if (_pos + 1 >= _length)
                    {
                        _hitEnd = true;
                        continue;
                    }
                    if (_data[_pos + 1] != 0)
                    {
                        _hitMarker = true;
                        continue;
                    }
                    _pos += 2;
                }
                else
                {
                    _pos++;
                }
            }
            _bits |= (ulong)(uint)b << (56 - _bitCount);
            _bitCount += 8;
        }
    }

    private void Restart(JpegComponent[] comps)
    {
        _bits = 0;
        _bitCount = 0;
        _fakeBits = 0;
        _hitMarker = false;
        _fillBytes = 0;
        _hitEnd = false;
        _eobRun = 0;
        foreach (var c in comps) c.DcPredictor = 0;
        // Find the next marker; consume it if it is a restart marker (libjpeg resynchronises the same way in the usual case).
        while (_pos + 1 < _length)
        {
            if (_data[_pos] == 0xFF && _data[_pos + 1] != 0 && _data[_pos + 1] != 0xFF)
            {
                if (_data[_pos + 1] >= RST0 && _data[_pos + 1] <= RST7) _pos += 2;
                return;
            }
            _pos++;
        }
        _hitEnd = _pos + 1 >= _length;
    }
}
