namespace Wsss.Core.Tensors;

/// <summary>Special functions the BCL lacks.</summary>
public static class SpecialFunctions
{
    /// <summary>Complementary error function, relative error below 1.2e-7 everywhere (Chebyshev fit, Numerical Recipes §6.2).</summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }

    /// <summary>Error function.</summary>
    public static double Erf(double x) => 1.0 - Erfc(x);

    /// <summary>Standard normal CDF Φ(x).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2.0));
}
