namespace Wsss.Core.Imaging.Jpeg;

/// <summary>
/// A Huffman table (T.81 Annex C): canonical codes from the BITS/HUFFVAL lists, with a 10-bit
/// look-up table for short codes and the MAXCODE/VALPTR procedure of F.2.2.3 for the rest.
/// </summary>
internal sealed class JpegHuffmanTable
{
    public const int LookupBits = 10;

    /// <summary>Fast table: (code length &lt;&lt; 8) | symbol, or 0 when the code is longer than <see cref="LookupBits"/>.</summary>
    public readonly ushort[] Lookup = new ushort[1 << LookupBits];

    /// <summary>Largest code of each length 1..16 (index 17 is a sentinel), -1 when none.</summary>
    public readonly int[] MaxCode = new int[18];

    /// <summary>Index into <see cref="Values"/> of the first code of each length, minus that code.</summary>
    public readonly int[] ValOffset = new int[17];

    public readonly byte[] Values = new byte[256];

    /// <summary>
    /// AC fast table: when a run/size code and its s extra bits together fit in <see cref="LookupBits"/>,
    /// (value &lt;&lt; 16) | (run &lt;&lt; 4) | (code length + s), with the value already sign-extended; otherwise 0.
    /// </summary>
    public readonly int[] AcFast = new int[1 << LookupBits];

    /// <summary>Builds the table from the 16 code counts and the symbols; returns false if the counts overflow the code space.</summary>
    public bool Build(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
    {
        symbols.CopyTo(Values);
        Array.Clear(Lookup);
        int code = 0, k = 0;
        for (int len = 1; len <= 16; len++)
        {
            int n = counts[len - 1];
            ValOffset[len] = k - code;
            if (n == 0)
            {
                MaxCode[len] = -1;
            }
            else
            {
                if (len <= LookupBits)
                {
                    for (int i = 0; i < n; i++)
                    {
                        int c = code + i;
                        int shift = LookupBits - len;
                        int start = c << shift, count = 1 << shift;
                        ushort entry = (ushort)((len << 8) | Values[k + i]);
                        Lookup.AsSpan(start, count).Fill(entry);
                    }
                }
                code += n;
                k += n;
                MaxCode[len] = code - 1;
            }
            if (code >= (1 << len) && n > 0) return false;
            code <<= 1;
        }
        MaxCode[17] = int.MaxValue;
        for (int i = 0; i < AcFast.Length; i++)
        {
            int entry = Lookup[i], len = entry >> 8, r = (entry >> 4) & 15, s = entry & 15;
            int total = len + s;
            if (entry == 0 || s == 0 || total > LookupBits)
            {
                AcFast[i] = 0;
                continue;
            }
            int v = (i >> (LookupBits - total)) & ((1 << s) - 1);
            v += ((v >> (s - 1)) - 1) & ((-1 << s) + 1);
            AcFast[i] = (v << 16) | (r << 4) | total;
        }
        return true;
    }
}
