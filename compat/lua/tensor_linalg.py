"""Torch7's linear algebra (``inverse``, ``gesv``, ``gels``, ``symeig``, ``eig``, ``svd``, ``potrf``,
``potrs``, ``potri``, ``trtrs``, ``qr``) with its argument forms (a leading result tensor) over
PyTorch's LAPACK; ``inverse`` follows getrf/getri step by step, so signed zeros are Torch7's."""
import torch

from compat.lua.tensor_args import _give, _into, _split, _Tensor


def _inverse(*args):
    """``torch.inverse([r,] a)``: LAPACK's getrf/getri steps (so signed zeros come out as Torch7's)."""
    res, args = _split(args, 1)
    a = args[0]
    n = a.size(0)
    lu, pivots = torch.linalg.lu_factor(a)
    upper = torch.triu(lu)
    inv = torch.zeros_like(lu)
    for j in range(n):                               # getri step 1 (trti2): inv(U), column by column
        inv[j, j] = 1.0 / upper[j, j]
        if j:
            inv[:j, j] = (inv[:j, :j] @ upper[:j, j]) * -inv[j, j]
    for j in range(n - 2, -1, -1):                   # step 2: solve X L = inv(U)
        lower = lu[j + 1:, j].clone()
        inv[:, j] -= inv[:, j + 1:] @ lower
    for j in range(n - 2, -1, -1):                   # undo the row pivots as column swaps
        p = int(pivots[j]) - 1
        if p != j:
            inv[:, [j, p]] = inv[:, [p, j]]
    return inv if res is None else _into(res, inv)


def _gesv(*args):
    """``X, LU = torch.gesv([rx, rlu,] B, A)``: the solution of A X = B and A's LU factors."""
    rx, rlu, args = (args[0], args[1], args[2:]) if len(args) == 4 else (None, None, args)
    b, a = args
    lu, _ = torch.linalg.lu_factor(a)
    x = torch.linalg.solve(a, b)
    return _give(rx, rlu, x, lu)


def _gels(*args):
    """``X = torch.gels([rx, ra,] B, A)``: least squares (A m x n with m >= n) as Torch7's m x k result."""
    rx, ra, args = (args[0], args[1], args[2:]) if len(args) == 4 else (None, None, args)
    b, a = args
    solution = torch.linalg.lstsq(a, b).solution
    out = torch.zeros(max(a.size(0), a.size(1)), b.size(1) if b.dim() > 1 else 1, dtype=a.dtype)
    out[:solution.size(0)] = solution.reshape(solution.size(0), -1)
    return _give(rx, ra, out, a.clone())


def _symeig(*args):
    """``e, V = torch.symeig([re, rv,] a [, 'N'|'V'] [, 'U'|'L'])``: ascending eigenvalues; V holds
    the eigenvectors with 'V' (else a copy of a)."""
    if len(args) >= 3 and isinstance(args[1], _Tensor) and isinstance(args[2], _Tensor):
        re, rv, args = args[0], args[1], args[2:]
    else:
        re = rv = None
    a = args[0]
    vectors = len(args) > 1 and args[1] == "V"
    upper = len(args) <= 2 or args[2] == "U"
    if vectors:
        e, v = torch.linalg.eigh(a, UPLO="U" if upper else "L")
    else:
        e, v = torch.linalg.eigvalsh(a, UPLO="U" if upper else "L"), a.clone()
    return _give(re, rv, e, v)


def _eig(*args):
    """``e, V = torch.eig(a [, 'N'|'V'])``: e is n x 2 (real and imaginary parts)."""
    a = args[-2] if len(args) > 1 and isinstance(args[-1], str) else args[-1]
    vectors = isinstance(args[-1], str) and args[-1] == "V"
    e, v = torch.linalg.eig(a)
    pairs = torch.stack([e.real, e.imag], 1).to(a.dtype)
    return pairs, (v.real.to(a.dtype) if vectors else torch.empty(0, dtype=a.dtype))


def _svd(*args):
    """``U, S, V = torch.svd(a [, 'S'|'A'])``: a = U diag(S) V^T."""
    a = args[0] if not isinstance(args[0], _Tensor) or len(args) < 4 else args[3]
    some = not (len(args) > 1 and args[-1] == "A")
    u, s, vh = torch.linalg.svd(a, full_matrices=not some)
    return u, s, vh.mT


def _potrf(a, uplo="U"):
    """``torch.potrf(a [, 'U'|'L'])``: the Cholesky factor (upper by default)."""
    return torch.linalg.cholesky(a, upper=uplo == "U")


def _potrs(b, chol, uplo="U"):
    return torch.cholesky_solve(b if b.dim() > 1 else b[:, None], chol, upper=uplo == "U")


def _potri(chol, uplo="U"):
    return torch.cholesky_inverse(chol, upper=uplo == "U")


def _trtrs(b, a, uplo="U", trans="N", diag="N"):
    """``X = torch.trtrs(B, A [, uplo, trans, diag])``: a triangular solve."""
    m = a.mT if trans == "T" else a
    upper = (uplo == "U") != (trans == "T")
    x = torch.linalg.solve_triangular(m, b if b.dim() > 1 else b[:, None], upper=upper,
                                      unitriangular=diag == "U")
    return x, a.clone()


def _qr(a):
    """``Q, R = torch.qr(a)``."""
    return torch.linalg.qr(a)
