namespace Wsss.Core.Imaging.Png;

/// <summary>The Adler-32 checksum closing a zlib stream (RFC 1950 §2.2, §9).</summary>
internal static class Adler32
{
    private const uint Mod = 65521;
    private const int MaxBlock = 5552; // largest n with 255·n·(n+1)/2 + (n+1)·(Mod−1) < 2³²

    internal static uint Compute(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        while (data.Length > 0)
        {
            int n = Math.Min(data.Length, MaxBlock);
            foreach (byte x in data[..n])
            {
                a += x;
                b += a;
            }
            a %= Mod;
            b %= Mod;
            data = data[n..];
        }
        return (b << 16) | a;
    }
}
