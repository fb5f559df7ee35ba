"""The engines: the same model computed three ways (chapter 10, "everything else is efficiency").

Every engine takes ``(config, weights)`` with weights as plain floats from
``init_weights`` and offers the same methods: ``train_step(tokens, lr) -> float``,
``loss_and_grads(tokens)``, ``new_cache()``, ``next_logits(token_id, pos_id,
cache)``, ``attention_maps(tokens)`` and ``weights()``.
"""
import importlib

from .errors import MicrogptError

# name -> (module, class); modules are imported only when asked for (numpy is optional).
ENGINES = {
    "scalar": ("microgpt.model", "GPT"),
    "fused": ("microgpt.fused", "FusedGPT"),
    "numpy": ("microgpt.numpy_engine", "NumpyGPT"),
}


def engine_class(name):
    if name not in ENGINES:
        raise MicrogptError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")
    module, cls = ENGINES[name]
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise MicrogptError(f"engine {name!r} needs a package that is not installed ({exc.name}); pip install it") from None


def make_model(name, config, weights):
    """A model on engine ``name`` starting from ``weights``."""
    return engine_class(name)(config, weights)
