using System.Diagnostics;
using Wsss.Core.Propagation;

namespace Wsss.Core.Tests.Propagation;

/// <summary>A quick Stopwatch check of the PASCAL-size walk (the BenchmarkDotNet suite has the real numbers). Run explicitly.</summary>
[Explicit("timing")]
public class PropagationTimingTests
{
    [Test]
    public void PascalSizeWalk()
    {
        const int h = 125, w = 94;
        var boundary = TestUtil.Rand(1, 1, h, w);
        var cams = TestUtil.Rand(2, 3, h, w);
        RandomWalk.PropagateToEdge(cams, boundary); // warm-up (JIT)
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            RandomWalk.PropagateToEdge(cams, boundary, 5, 10f, 8);
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        var graph = AffinityGraph.FromBoundary(boundary.Data, h, w, 5, 10f);
        var walkTimes = new List<double>();
        var output = new float[3 * h * w];
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            RandomWalkPropagator.Propagate(graph, cams.Data, output, 8);
            walkTimes.Add(sw.Elapsed.TotalMilliseconds);
        }
        var single = new List<double>();
        Wsss.Core.Tensors.Parallelism.MaxDegreeOfParallelism = 1;
        try
        {
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                RandomWalkPropagator.Propagate(graph, cams.Data, output, 8);
                single.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        finally { Wsss.Core.Tensors.Parallelism.MaxDegreeOfParallelism = Environment.ProcessorCount; }
        TestContext.Out.WriteLine($"walk on one thread: median {single.Order().ElementAt(2):F2} ms");
        TestContext.Out.WriteLine($"PropagateToEdge 125x94 r5 b10 T^256 3ch: median {times.Order().ElementAt(2):F2} ms (min {times.Min():F2}); walk only median {walkTimes.Order().ElementAt(2):F2} ms; cores {Environment.ProcessorCount}");
    }
}
