using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Cam;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017) for any layer of any model whose forward pass returns class scores (N, C):
/// A = the layer's output (N, K, h, w), α_k = mean_{h,w} ∂y_c/∂A_k, cam_c = relu(Σ_k α_k·A_k) (N, h, w).
/// </summary>
/// <remarks>
/// The layer's output is captured with a forward hook and replaced by a detached copy that requires grad, so one
/// forward pass serves every class, the backward passes only run through the layers after the target, and the model's
/// parameter gradients are left untouched. The layer must be called through <see cref="Module{TIn,TOut}.Call"/> (all
/// of the library's networks call their children that way). The model's train/eval mode is the caller's choice.
/// <see cref="Compute(Tensor, IReadOnlyList{int})"/> temporarily turns off the parameters' RequiresGrad and hooks the
/// layer, so the model must not be used from another thread meanwhile.
/// </remarks>
public sealed class GradCam
{
    private readonly Module<Tensor, Tensor> _model;
    private readonly Module<Tensor, Tensor> _target;

    /// <summary>Grad-CAM of <paramref name="targetLayer"/>, a module inside <paramref name="model"/>.</summary>
    public GradCam(Module<Tensor, Tensor> model, Module<Tensor, Tensor> targetLayer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(targetLayer);
        if (!model.NamedModules().Any(m => ReferenceEquals(m.Module, targetLayer)))
            throw new ArgumentException("the target layer is not a module of the model", nameof(targetLayer));
        _model = model;
        _target = targetLayer;
    }

    /// <summary>Grad-CAM of the layer named <paramref name="layerName"/> (a dotted name as in the state dict, e.g. <c>layer4</c> or <c>layer3.5</c>).</summary>
    public GradCam(Module<Tensor, Tensor> model, string layerName)
        : this(model, FindLayer(model, layerName))
    {
    }

    private static Module<Tensor, Tensor> FindLayer(Module<Tensor, Tensor> model, string layerName)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layerName);
        foreach (var (name, m) in model.NamedModules())
        {
            if (name != layerName) continue;
            return m as Module<Tensor, Tensor>
                ?? throw new ArgumentException($"layer '{layerName}' does not map a tensor to a tensor", nameof(layerName));
        }
        throw new ArgumentException($"the model has no layer named '{layerName}'", nameof(layerName));
    }

    /// <summary>The Grad-CAM of one class (N, h, w).</summary>
    public Tensor Compute(Tensor images, int classIndex) => Compute(images, new[] { classIndex }).Squeeze(1);

    /// <summary>The Grad-CAMs of <paramref name="classes"/> from one forward pass: (N, classes.Count, h, w) at the layer's resolution.</summary>
    /// <exception cref="ArgumentException">A class index is outside the model's scores, or the model does not return (N, C) scores.</exception>
    /// <exception cref="InvalidOperationException">The target layer did not run, or the scores do not depend on it.</exception>
    public Tensor Compute(Tensor images, IReadOnlyList<int> classes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0) throw new ArgumentException("at least one class is needed", nameof(classes));
        var saved = _model.Parameters().Select(p => (p, p.RequiresGrad)).ToList();
        Tensor? activation = null;
        using var hook = _target.RegisterForwardHook((_, _, output) =>
        {
            activation = output.Detach().RequiresGrad_();
            return activation;
        });
        try
        {
            foreach (var (p, _) in saved) p.RequiresGrad = false;
            var scores = _model.Call(images);
            if (activation is null) throw new InvalidOperationException("the target layer did not run during the forward pass");
            if (scores.Rank != 2 || scores.Size(0) != images.Size(0))
                throw new ArgumentException($"Grad-CAM needs a model returning (N, C) scores, got {Tensor.ShapeString(scores.ShapeSpan)}", nameof(images));
            if (activation.Rank != 4)
                throw new ArgumentException($"Grad-CAM needs a layer with (N, K, h, w) output, got {Tensor.ShapeString(activation.ShapeSpan)}", nameof(images));
            if (!scores.RequiresGrad)
                throw new InvalidOperationException("the scores do not depend on the target layer's output (it ran without gradient tracking)");
            int n = scores.Size(0), numClasses = scores.Size(1), k = activation.Size(1), h = activation.Size(2), w = activation.Size(3), hw = h * w;
            foreach (int c in classes)
                if (c < 0 || c >= numClasses) throw new ArgumentException($"class {c} is outside the model's {numClasses} scores", nameof(classes));
            var result = Tensor.Zeros(n, classes.Count, h, w);
            var a = activation.Data;
            var r = result.Data;
            var alpha = new double[k];
            var acc = new double[h * w];
            for (int ci = 0; ci < classes.Count; ci++)
            {
                activation.ClearGrad();
                var seed = Tensor.Zeros(n, numClasses);
                for (int b = 0; b < n; b++) seed.Data[b * numClasses + classes[ci]] = 1f;
                scores.Backward(seed);
                var grad = activation.Grad ?? throw new InvalidOperationException("the scores do not depend on the target layer's output (it ran without gradient tracking)");
                var g = grad.Data;
                for (int b = 0; b < n; b++)
                {
                    for (int ch = 0; ch < k; ch++)
                    {
                        double s = 0;
                        foreach (float v in g.Slice((b * k + ch) * hw, hw)) s += v;
                        alpha[ch] = s / hw;
                    }
                    Array.Clear(acc, 0, hw);
                    for (int ch = 0; ch < k; ch++)
                    {
                        var plane = a.Slice((b * k + ch) * hw, hw);
                        double al = alpha[ch];
                        for (int i = 0; i < hw; i++) acc[i] += al * plane[i];
                    }
                    var dst = r.Slice((b * classes.Count + ci) * hw, hw);
                    for (int i = 0; i < hw; i++) dst[i] = (float)Math.Max(acc[i], 0);
                }
            }
            activation.ClearGrad();
            return result;
        }
        finally
        {
            foreach (var (p, requiresGrad) in saved) p.RequiresGrad = requiresGrad;
        }
    }
}
