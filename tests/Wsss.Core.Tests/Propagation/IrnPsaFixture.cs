using Wsss.Core.IO;

namespace Wsss.Core.Tests.Propagation;

/// <summary>Reads the IRNet / AffinityNet reference fixtures (Fixtures/irn_psa, see its README).</summary>
internal static class IrnPsaFixture
{
    public static IReadOnlyDictionary<string, NpyArray> Load(string name) => Npz.Read(TestUtil.FixturePath("irn_psa", name));

    public static int[] Ints(this IReadOnlyDictionary<string, NpyArray> f, string key) => f[key].ToInt64().Select(v => checked((int)v)).ToArray();

    public static float[] Floats(this IReadOnlyDictionary<string, NpyArray> f, string key) => f[key].ToFloat32();
}
