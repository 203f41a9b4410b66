"""A stand-in for torchvision, for building timm's ViT-Tiny only (models.make_vit_tiny puts it on the path
when the real one cannot load): timm imports torchvision's modules when it loads, and PyPI's torchvision
wheels need PyPI's CUDA torch. Every module under `torchvision.` exists and every name in it is an empty
class; ViT-Tiny calls none of them, and anything that does gets nothing it could compute with."""
import importlib.abc
import importlib.machinery
import sys
import types


class _Name(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Name(name, (), {})


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _Name(name, (), {})


class _Module(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Name(name, (), {})


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _Module(spec.name)

    def exec_module(self, module):
        module.__path__ = []


sys.meta_path.insert(0, _Finder())
