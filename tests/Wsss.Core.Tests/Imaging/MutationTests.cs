using Wsss.Core.Imaging;
using Wsss.Core.Tensors;
using static Wsss.Core.Tests.Imaging.ImagingTestHelpers;

namespace Wsss.Core.Tests.Imaging;

/// <summary>
/// Bounded random mutation ("fuzz") of real files with a fixed seed: every mutant must decode or raise
/// <see cref="InvalidDataException"/> — no other exception type, no hang. Half of the PNG mutants get their
/// chunk CRCs repaired so that the mutation reaches the header, zlib, filter and unpacking code.
/// </summary>
[TestFixture]
public class MutationTests
{
    private static readonly string[] Files =
    [
        "png_c2_d8.png", "png_c3_d8_trns_adam7.png", "png_c6_d16_adam7.png", "png_c0_d1_adam7.png",
        "label_7_3_s.png", "pil_palette.png", "bmp_4bit.bmp", "bmp_24bit_topdown.bmp", "bmp_32bit_v4_alpha.bmp", "bmp_1bit.bmp",
    ];

    /// <summary>60 per file by default; set WSSS_MUTANTS_PER_FILE for a longer local run.</summary>
    private static readonly int MutantsPerFile = int.TryParse(Environment.GetEnvironmentVariable("WSSS_MUTANTS_PER_FILE"), out int n) && n > 0 ? n : 60;

    [Test]
    public void MutantsDecodeOrRaiseInvalidData()
    {
        var g = new Generator(20261121);
        int decoded = 0, rejected = 0;
        foreach (var file in Files)
        {
            byte[] original = File.ReadAllBytes(Fixture(file));
            bool png = file.EndsWith(".png", StringComparison.Ordinal);
            for (int m = 0; m < MutantsPerFile; m++)
            {
                byte[] mutant = Mutate(original, g);
                if (png && (m & 1) == 1) FixCrcs(mutant);
                var task = Task.Run(() =>
                {
                    try
                    {
                        ImageCodecs.Decode(new MemoryStream(mutant), file);
                        if (png) ImageCodecs.DecodeLabels(new MemoryStream(mutant), file);
                        return (Exception?)null;
                    }
                    catch (Exception ex)
                    {
                        return ex;
                    }
                });
                Assert.That(task.Wait(TimeSpan.FromSeconds(20)), Is.True, $"{file} mutant {m} hung");
                var error = task.Result;
                if (error is null) decoded++;
                else if (error is InvalidDataException) rejected++;
                else Assert.Fail($"{file} mutant {m}: {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
            }
        }
        TestContext.Out.WriteLine($"{decoded} mutants decoded, {rejected} rejected with InvalidDataException");
        Assert.That(rejected, Is.GreaterThan(Files.Length * MutantsPerFile / 4));
    }

    private static int Next(Generator g, int n) => Math.Min(n - 1, (int)(g.NextFloat() * n));

    private static byte[] Mutate(byte[] src, Generator g)
    {
        var b = (byte[])src.Clone();
        // Most damage in the headers (first 80 bytes), where the parsing decisions are.
        int Pos() => Next(g, 2) == 0 ? Next(g, Math.Min(80, b.Length)) : Next(g, b.Length);
        switch (Next(g, 6))
        {
            case 0: // flip one bit
                { int p = Pos(); b[p] ^= (byte)(1 << Next(g, 8)); return b; }
            case 1: // random bytes
                for (int k = 1 + Next(g, 4); k > 0; k--) b[Pos()] = (byte)Next(g, 256);
                return b;
            case 2: // extreme values
                for (int k = 1 + Next(g, 3); k > 0; k--) b[Pos()] = Next(g, 2) == 0 ? (byte)0 : (byte)0xFF;
                return b;
            case 3: // truncate
                return b[..Next(g, b.Length)];
            case 4: // delete a run
            {
                int p = Pos(), n = 1 + Next(g, 16);
                n = Math.Min(n, b.Length - p);
                return b[..p].Concat(b[(p + n)..]).ToArray();
            }
            default: // duplicate a run
            {
                int p = Pos(), n = 1 + Next(g, 32);
                n = Math.Min(n, b.Length - p);
                return b[..(p + n)].Concat(b[p..]).ToArray();
            }
        }
    }
}
