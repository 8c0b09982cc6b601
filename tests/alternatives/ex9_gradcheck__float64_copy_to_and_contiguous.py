"""Works on a float64, contiguous copy (.to(torch.float64) returns x itself when x is float64: hence the clone),
f's values through torch.as_tensor, the estimate cast back with .to(x.dtype); relative error in float64."""


def numerical_gradient(f, x, eps=1e-6):
    work = x.detach().to(torch.float64).contiguous().clone()
    flat = work.view(-1)
    estimate = torch.zeros(flat.numel(), dtype=torch.float64)
    for index in range(flat.numel()):
        saved = flat[index].clone()
        flat[index] = saved + eps
        above = torch.as_tensor(f(work), dtype=torch.float64)
        flat[index] = saved - eps
        below = torch.as_tensor(f(work), dtype=torch.float64)
        flat[index] = saved
        estimate[index] = (above - below) / (2 * eps)
    return estimate.view(x.shape).to(x.dtype)


def relative_error(a, b):
    a64, b64 = a.to(torch.float64), b.to(torch.float64)
    return (a64 - b64).abs().div((a64.abs() + b64.abs()).clamp_min(1e-8)).amax().item()
