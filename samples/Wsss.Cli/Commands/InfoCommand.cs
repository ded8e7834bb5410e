using System.CommandLine;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Cli.Commands;

/// <summary><c>wsss info</c>: version, cores and the SIMD widths this machine accelerates.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Print the library version, core count and accelerated SIMD widths");
        cmd.SetAction(_ =>
        {
            var asm = typeof(Wsss.Core.Tensors.Tensor).Assembly;
            var version = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? asm.GetName().Version?.ToString() ?? "unknown";
            Console.WriteLine($"Wsss.Core {version}");
            Console.WriteLine($"runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})");
            Console.WriteLine($"cores: {Environment.ProcessorCount}");
            Console.WriteLine($"Vector128: {(Vector128.IsHardwareAccelerated ? "accelerated" : "software")}");
            Console.WriteLine($"Vector256: {(Vector256.IsHardwareAccelerated ? "accelerated" : "software")}");
            Console.WriteLine($"Vector512: {(Vector512.IsHardwareAccelerated ? "accelerated" : "software")}");
            Console.WriteLine($"FMA: {(Fma.IsSupported ? "yes" : "no")}, AVX2: {(Avx2.IsSupported ? "yes" : "no")}, AVX-512F: {(Avx512F.IsSupported ? "yes" : "no")}");
            Console.WriteLine($"GEMM path: {Wsss.Core.Tensors.Kernels.Gemm.ActivePath}");
            return 0;
        });
        return cmd;
    }
}
