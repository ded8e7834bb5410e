namespace Wsss.Core.Tensors;

/// <summary>
/// A seeded, deterministic random generator (xoshiro256** seeded through SplitMix64): the same seed
/// gives the same numbers on every machine and run. Normal variates use the Box–Muller transform.
/// </summary>
/// <remarks>Plays the role of torch.Generator; the streams differ from PyTorch's.</remarks>
public sealed class Generator
{
    private Xoshiro256 _state;
    private float? _spareNormal;

    /// <summary>Creates a generator from <paramref name="seed"/>.</summary>
    public Generator(ulong seed = 0) => ManualSeed(seed);

    /// <summary>The generator used when none is passed.</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>Re-seeds the generator.</summary>
    public void ManualSeed(ulong seed)
    {
        _state = new Xoshiro256(seed);
        _spareNormal = null;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => _state.Next();

    /// <summary>Uniform in [0, 1) with 24 bits of precision.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 bits of precision.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) ThrowHelper.ArgumentOutOfRange(nameof(maxExclusive), maxExclusive, "must be positive");
        return (int)((NextUInt64() >> 33) % (ulong)maxExclusive);
    }

    /// <summary>Standard normal variate.</summary>
    public float NextNormal()
    {
        if (_spareNormal is float s)
        {
            _spareNormal = null;
            return s;
        }
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        double theta = 2.0 * Math.PI * u2;
        _spareNormal = (float)(r * Math.Sin(theta));
        return (float)(r * Math.Cos(theta));
    }

    /// <summary>Fills <paramref name="span"/> with uniform values in [low, high).</summary>
    public void FillUniform(Span<float> span, float low = 0f, float high = 1f)
    {
        float scale = high - low;
        for (int i = 0; i < span.Length; i++) span[i] = low + scale * NextFloat();
    }

    /// <summary>Fills <paramref name="span"/> with normal values of the given mean and standard deviation.</summary>
    public void FillNormal(Span<float> span, float mean = 0f, float std = 1f)
    {
        for (int i = 0; i < span.Length; i++) span[i] = mean + std * NextNormal();
    }
}
