using System.Runtime.CompilerServices;

namespace Wsss.Core.Imaging.Png.Filters;

/// <summary>
/// Filter method 0 (§9): reconstruction for the decoder and filtering for the encoder. A row's
/// "previous row" is all zeros for the first row of an image or of an Adam7 pass.
/// </summary>
internal static class PngFilters
{
    /// <summary>The Paeth predictor (§9.4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Reverses filter <paramref name="type"/> in place; <paramref name="prev"/> is the reconstructed previous row (or zeros).</summary>
    internal static void Unfilter(PngFilterType type, Span<byte> row, ReadOnlySpan<byte> prev, int bpp)
    {
        int n = row.Length;
        switch (type)
        {
            case PngFilterType.None:
                break;
            case PngFilterType.Sub:
                for (int i = bpp; i < n; i++) row[i] = (byte)(row[i] + row[i - bpp]);
                break;
            case PngFilterType.Up:
                for (int i = 0; i < n; i++) row[i] = (byte)(row[i] + prev[i]);
                break;
            case PngFilterType.Average:
                for (int i = 0; i < bpp && i < n; i++) row[i] = (byte)(row[i] + (prev[i] >> 1));
                for (int i = bpp; i < n; i++) row[i] = (byte)(row[i] + ((row[i - bpp] + prev[i]) >> 1));
                break;
            case PngFilterType.Paeth:
                for (int i = 0; i < bpp && i < n; i++) row[i] = (byte)(row[i] + prev[i]); // a = c = 0 → b
                for (int i = bpp; i < n; i++) row[i] = (byte)(row[i] + Paeth(row[i - bpp], prev[i], prev[i - bpp]));
                break;
        }
    }

    /// <summary>Writes filter <paramref name="type"/> of <paramref name="row"/> into <paramref name="dst"/> (same length).</summary>
    internal static void Filter(PngFilterType type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prev, int bpp, Span<byte> dst)
    {
        int n = row.Length;
        switch (type)
        {
            case PngFilterType.None:
                row.CopyTo(dst);
                break;
            case PngFilterType.Sub:
                for (int i = 0; i < n; i++) dst[i] = (byte)(row[i] - (i >= bpp ? row[i - bpp] : 0));
                break;
            case PngFilterType.Up:
                for (int i = 0; i < n; i++) dst[i] = (byte)(row[i] - prev[i]);
                break;
            case PngFilterType.Average:
                for (int i = 0; i < n; i++) dst[i] = (byte)(row[i] - (((i >= bpp ? row[i - bpp] : 0) + prev[i]) >> 1));
                break;
            default:
                for (int i = 0; i < n; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, c = i >= bpp ? prev[i - bpp] : 0;
                    dst[i] = (byte)(row[i] - Paeth(a, prev[i], c));
                }
                break;
        }
    }

    /// <summary>
    /// Chooses a filter by the minimum sum of absolute differences heuristic (§12.7): each candidate's
    /// output bytes are read as signed values and the smallest sum of magnitudes wins.
    /// Writes the filter byte and the filtered row into <paramref name="dst"/> (length row + 1).
    /// </summary>
    internal static void FilterAdaptive(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prev, int bpp, Span<byte> dst, Span<byte> scratch)
    {
        long best = long.MaxValue;
        for (int t = 0; t <= 4; t++)
        {
            Filter((PngFilterType)t, row, prev, bpp, scratch);
            long sum = 0;
            foreach (byte b in scratch)
            {
                int v = (sbyte)b;
                sum += v < 0 ? -v : v;
            }
            if (sum < best)
            {
                best = sum;
                dst[0] = (byte)t;
                scratch.CopyTo(dst[1..]);
            }
        }
    }
}
