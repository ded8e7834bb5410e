using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>Weight initialisations with PyTorch's formulas (torch.nn.init); all write in place and draw from a <see cref="Generator"/>.</summary>
public static class Init
{
    /// <summary>(fan_in, fan_out) as PyTorch computes them: size(1)·receptive and size(0)·receptive.</summary>
    public static (int FanIn, int FanOut) Fans(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2) throw new ArgumentException($"fan in and fan out need at least 2 dimensions, got {Tensor.ShapeString(tensor.ShapeSpan)}", nameof(tensor));
        int receptive = 1;
        for (int i = 2; i < tensor.Rank; i++) receptive *= tensor.Size(i);
        return (tensor.Size(1) * receptive, tensor.Size(0) * receptive);
    }

    /// <summary>The recommended gain for a nonlinearity ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu").</summary>
    public static double CalculateGain(string nonlinearity, double param = 0.01)
    {
        return nonlinearity switch
        {
            "linear" or "conv1d" or "conv2d" or "conv3d" or "sigmoid" => 1.0,
            "tanh" => 5.0 / 3,
            "relu" => Math.Sqrt(2.0),
            "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
            "selu" => 3.0 / 4,
            _ => throw new ArgumentException($"unsupported nonlinearity '{nonlinearity}'", nameof(nonlinearity)),
        };
    }

    /// <summary>U(low, high).</summary>
    public static Tensor Uniform(Tensor tensor, double low, double high, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(low <= high)) throw new ArgumentException($"low {low} must not exceed high {high}", nameof(low));
        (generator ?? Generator.Default).FillUniform(tensor.Data, (float)low, (float)high);
        return tensor;
    }

    /// <summary>N(mean, std²).</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(std >= 0)) throw new ArgumentException($"std must be non-negative, got {std}", nameof(std));
        (generator ?? Generator.Default).FillNormal(tensor.Data, (float)mean, (float)std);
        return tensor;
    }

    /// <summary>Fills with a constant.</summary>
    public static Tensor Constant(Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Data.Fill(value);
        return tensor;
    }

    /// <summary>Kaiming (He) uniform: bound = gain·sqrt(3/fan).</summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Math.Max(fan, 1));
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Kaiming (He) normal: std = gain/sqrt(fan).</summary>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        return Normal(tensor, 0, CalculateGain(nonlinearity, a) / Math.Sqrt(Math.Max(fan, 1)), generator);
    }

    /// <summary>Xavier (Glorot) uniform: bound = gain·sqrt(6/(fan_in+fan_out)).</summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        double bound = gain * Math.Sqrt(6.0 / Math.Max(fanIn + fanOut, 1));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Xavier (Glorot) normal: std = gain·sqrt(2/(fan_in+fan_out)).</summary>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / Math.Max(fanIn + fanOut, 1)), generator);
    }

    /// <summary>PyTorch's default for Conv2d and Linear: weight kaiming_uniform(a=√5), i.e. U(±1/√fan_in), and bias U(±1/√fan_in).</summary>
    public static void DefaultLayerInit(Tensor weight, Tensor? bias, Generator? generator = null)
    {
        KaimingUniform(weight, Math.Sqrt(5), generator: generator);
        if (bias is not null)
        {
            var (fanIn, _) = Fans(weight);
            double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            Uniform(bias, -bound, bound, generator);
        }
    }
}
