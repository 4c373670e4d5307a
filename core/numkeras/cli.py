"""The ``numkeras`` command.

``numkeras summary FILE.h5``
    Prints the stored model's layer table, its training configuration (optimizer,
    loss, metrics) and the plugin components the file uses. For a weights file,
    lists each layer's weights and shapes. Loading is safe: a Lambda's code is not
    run unless ``--unsafe`` is given.

``numkeras plugins [--json] [--kind KIND] [--distribution NAME]``
    Lists every registered component by kind, with the distribution (and version)
    providing it, every name a runtime registration shadows and every name several
    distributions claim, the hook plugins, and every plugin that failed to load and why.
    Under ``NUMKERAS_STRICT_PLUGINS=1`` it still lists everything, then exits with status 1
    when a plugin failed to load.

``numkeras check-plugin DISTRIBUTION``
    Runs the conformance kit (``numkeras.testing``) over every component the installed
    distribution declares: one row per component and check (pass / fail / skip, with
    the reason); exit status 1 when a check fails, 2 when the distribution declares no
    component.

``numkeras new-plugin NAME [--kinds layer,loss,...]``
    Writes a plugin distribution under ``./NAME/`` (``numkeras.scaffold``) whose own
    ``pytest`` runs the kit and passes.
"""

import argparse
import json
import os
import sys
import warnings

from .plugin_errors import STRICT_ENV


def _print_training_config(config, out):
    if not config:
        out("Training configuration: none (the model was saved without compile / include_optimizer=False).")
        return
    optimizer = config.get("optimizer_config") or {}
    arguments = ", ".join(f"{k}={v!r}" for k, v in (optimizer.get("config") or {}).items())
    out("Training configuration:")
    out(f"  optimizer: {optimizer.get('class_name')}({arguments})")
    for key in ("loss", "metrics", "weighted_metrics", "loss_weights", "sample_weight_mode"):
        if config.get(key) is not None:
            out(f"  {key}: {json.dumps(config[key])}")


def _print_components(providers, out):
    rows = [(kind, name, info) for kind, names in sorted(providers.items()) for name, info in sorted(names.items())]
    plugin_rows = [r for r in rows if (r[2] or {}).get("distribution") not in (None, "numkeras")]
    if not plugin_rows:
        return
    out("Components from plugins:")
    for kind, name, info in plugin_rows:
        out(f"  {kind:<13} {name:<28} {info.get('distribution')} {info.get('version') or ''}".rstrip())


def _print_missing(missing, model_config, out):
    """What a model file needs that this process lacks, and its layers as the config names them."""
    out(f"The model cannot be rebuilt here: it needs {len(missing)} component(s) that nothing registers "
        f"in this process:")
    for kind, name, provider in missing:
        if provider and provider.get("distribution"):
            version = provider.get("version") or ""
            origin = (f"from {provider['distribution']} {version} "
                      f"(pip install {provider['distribution']}{'==' + version if version else ''})")
        elif provider and provider.get("module"):
            origin = f"registered at runtime from module {provider['module']} when saved"
        else:
            origin = "origin not recorded (a custom object, or a file written by Keras)"
        out(f"  {kind:<13} {name:<28} {origin}")
    config = model_config.get("config")
    layers = config if isinstance(config, list) else (config or {}).get("layers") or []
    out(f"Layers, as the file's config names them ({model_config.get('class_name')}):")
    for layer in layers:
        if isinstance(layer, dict):
            out(f"  {(layer.get('config') or {}).get('name', '?')} ({layer.get('class_name')})")


def summary(path, unsafe=False, out=print):
    """Prints the summary of the model or weights file ``path``; returns the exit status."""
    from .saving import components, hdf5
    from .saving.errors import ModelFileError

    with hdf5.h5py_errors(repr(path)), hdf5.open_for_reading(path) as f:
        model_config = hdf5._read_json_attr(f, "model_config", repr(path))
        if model_config is None:
            if "layer_names" not in f.attrs and "layer_names0" not in f.attrs:
                raise ModelFileError(path, "is an HDF5 file but neither a Keras model nor a weights file.")
            saved = hdf5.read_weights_group(f, repr(path))
            out(f"Weights file: {path} (keras_version {hdf5._read_text_attr(f, 'keras_version')}, "
                f"backend {hdf5._read_text_attr(f, 'backend')})")
            total = 0
            for name, names, values in saved.layers:
                for weight_name, value in zip(names, values):
                    total += int(value.size)
                    out(f"  {weight_name:<40} {str(value.shape):<16} {value.dtype}")
                if not names:
                    out(f"  {name:<40} (no weights)")
            out(f"Total params: {total:,}")
            return 0
        training = hdf5._read_json_attr(f, "training_config", repr(path))
        providers = hdf5._read_json_attr(f, "numkeras_components", repr(path)) or {}
        writer = hdf5._read_text_attr(f, "numkeras_version")
        keras_version = hdf5._read_text_attr(f, "keras_version")
        backend = hdf5._read_text_attr(f, "backend")
        plugin_data = hdf5._read_json_attr(f, "numkeras_plugin_data", repr(path)) or {}
    written_by = f"numkeras {writer}" if writer else f"Keras {keras_version} ({backend} backend)"
    out(f"Model file: {path}")
    out(f"Written by: {written_by}")
    missing = components.missing_components(model_config, training, providers)
    if missing:  # say what this process lacks (the loss too), rather than fail on the first layer
        _print_missing(missing, model_config, out)
    else:
        hdf5.load_model(path, compile=False, safe_mode=not unsafe).summary(print_fn=out)
    _print_training_config(training, out)
    _print_components(providers, out)
    if plugin_data:
        out(f"Plugin data: {', '.join(sorted(plugin_data))}")
    return 0


def _hook_plugins():
    """``[(name, distribution, version)]`` of the hook plugins that loaded."""
    import importlib_metadata

    from .hooks import GROUP, plugin_manager

    manager = plugin_manager()
    origins = {}
    for ep in importlib_metadata.entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        origins[ep.name] = (dist.metadata["Name"], dist.version) if dist is not None else (None, None)
    return [(name, *origins.get(name, (None, None))) for name, plugin in manager.list_name_plugin()
            if plugin is not None]


def collect_plugins(kind=None, distribution=None):
    """Everything ``numkeras plugins`` reports, as a JSON-ready dict.

    Arguments:
        kind: report only this kind (``'layers'`` …).
        distribution: report only what this distribution provides or claims.

    Every name is listed, including one that several distributions claim (with
    ``claimed_by``, and ``chosen`` once :meth:`Registry.choose` picked one) and one that a
    runtime registration replaced with ``override=True`` (``shadows``: what it replaced);
    ``conflicts`` and ``shadowed`` repeat those entries.
    """
    from . import hooks
    from .registry import KINDS, ComponentError, PluginLoadError, registry

    report = {"components": {}, "failures": [], "hook_plugins": [], "conflicts": [], "shadowed": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name_of_kind in ([kind] if kind else KINDS):
            reg = registry(name_of_kind)
            reg.load_all(strict=False)  # list every failure, strict or not
            entries = []
            failures = reg.failures()
            shadowed = reg.shadowed()
            for name in reg.names():
                if name in failures:
                    continue
                entry = _component_entry(reg, name, shadowed.get(name), ComponentError)
                if distribution is not None and distribution not in _distributions_of(entry):
                    continue
                entries.append(entry)
                if "claimed_by" in entry:
                    report["conflicts"].append({"kind": name_of_kind, **entry})
                if "shadows" in entry:
                    report["shadowed"].append({"kind": name_of_kind, **entry})
            report["components"][name_of_kind] = entries
            for name, (provider, reason) in sorted(failures.items()):
                if distribution is not None and provider.distribution != distribution:
                    continue
                report["failures"].append({
                    "kind": name_of_kind, "name": name, "distribution": provider.distribution,
                    "version": provider.version, "entry_point": provider.entry_point, "reason": reason,
                })
        try:
            report["hook_plugins"] = [
                {"name": name, "distribution": dist, "version": version} for name, dist, version in _hook_plugins()
                if distribution is None or dist == distribution
            ]
        except PluginLoadError as error:  # strict mode: a broken hook plugin raises
            report["failures"].append({"kind": "hook plugin", "name": None, "distribution": None,
                                       "version": None, "entry_point": None, "reason": str(error)})
        if kind is None and distribution is None:
            for name, message in sorted(hooks.failures().items()):
                report["failures"].append({"kind": "hook plugin", "name": name, "distribution": None,
                                           "version": None, "entry_point": None, "reason": message})
        report["compute_plugins"] = _compute_plugins() if kind is None else []
        report["matrix_products"] = _gemm_description()
        report["elementwise_kernels"] = _kernels_description()
    return report


def _component_entry(reg, name, shadows, component_error):
    """One row of the listing: who answers for ``name``, who else claims it, what it replaced."""
    try:
        entry = {"name": name, **reg.provider(name).as_dict()}
    except component_error:  # several distributions claim it and none was chosen
        entry = {"name": name, "distribution": None, "version": None, "module": None}
    claims = reg.claims(name)
    if len(claims) > 1:
        entry["claimed_by"] = [{"distribution": p.distribution, "version": p.version, "entry_point": p.entry_point}
                               for p in claims]
        entry["chosen"] = reg.chosen(name)
    if shadows:
        entry["shadows"] = shadows
    return entry


def _distributions_of(entry):
    return {entry["distribution"]} | {claim["distribution"] for claim in entry.get("claimed_by", ())}


def _compute_plugins():
    """``status()`` of every loaded hook plugin that has one: on or off, why, and each kernel's state.

    A compute plugin (one answering ``numkeras_gemm`` / ``numkeras_kernels``) may define
    ``status()`` returning ``{"active": bool, "detail": str, "kernels": {name: state}}``: whether
    it is on, what it runs on, and per kernel whether it is compiled, cached or loaded.
    """
    from .registry import PluginLoadError

    try:
        plugins = _hook_plugins()
    except PluginLoadError:
        return []
    from .hooks import plugin_manager

    manager, rows = plugin_manager(), []
    for name, distribution, version in plugins:
        status = getattr(manager.get_plugin(name), "status", None)
        if not callable(status):
            continue
        try:
            state = dict(status())
        except Exception as error:  # noqa: BLE001 - a plugin's report must not break the listing
            state = {"active": None, "detail": f"status() failed: {type(error).__name__}: {error}", "kernels": {}}
        rows.append({"name": name, "distribution": distribution, "version": version, **state})
    return rows


def _gemm_description():
    """What computes numkeras's matrix products: NumPy's matmul, or the module of a plugin's kernel."""
    from .backend import blas
    from .registry import PluginLoadError

    try:
        kernel = blas.get_gemm()
    except PluginLoadError as error:  # strict mode: the hook plugins could not be loaded
        return f"unknown ({error})"
    if kernel is None:
        return "numpy.matmul (NumPy's BLAS)"
    return f"the kernel of {_module_of(kernel)}"


def _kernels_description():
    """What computes the hot ops' elementwise kernels: NumPy, or the modules of plugins' kernels."""
    from .backend import kernels
    from .registry import PluginLoadError

    try:
        table = kernels.get_kernels()
    except PluginLoadError as error:  # strict mode: the hook plugins could not be loaded
        return f"unknown ({error})"
    if not table:
        return "NumPy"
    modules = ", ".join(sorted({_module_of(function) for function in table.values()}))
    rest = [name for name in kernels.names() if name not in table]
    return f"{', '.join(sorted(table))} from {modules}" + (f"; NumPy: {', '.join(rest)}" if rest else "")


def _module_of(function):
    return getattr(function, "__module__", None) or type(function).__name__


def plugins(as_json=False, out=print, kind=None, distribution=None):
    """Prints the registered components, hook plugins and load failures; returns the exit status."""
    report = collect_plugins(kind=kind, distribution=distribution)
    if as_json:
        out(json.dumps(report, indent=2))
        return 0
    for name_of_kind, entries in report["components"].items():
        out(f"{name_of_kind} ({len(entries)}):")
        for entry in entries:
            out(f"  {entry['name']:<36} {_origin(entry):<24} {entry['module'] or ''}".rstrip()
                + _remarks(name_of_kind, entry))
    out(f"shadowed names ({len(report['shadowed'])}):" + ("" if report["shadowed"] else " none"))
    for entry in report["shadowed"]:
        out(f"  {entry['kind']} {entry['name']}: {_origin(entry)} {entry['module'] or ''} replaces {entry['shadows']}")
    out(f"names claimed by several distributions ({len(report['conflicts'])}):"
        + ("" if report["conflicts"] else " none"))
    for entry in report["conflicts"]:
        claims = " and ".join(f"{c['distribution']} {c['version'] or ''}".strip() for c in entry["claimed_by"])
        state = (f"chosen: {entry['chosen']}" if entry["chosen"] else
                 f"unusable until numkeras.{entry['kind']}.choose({entry['name']!r}, '<distribution>')")
        out(f"  {entry['kind']} {entry['name']}: {claims} ({state})")
    out(f"hook plugins ({len(report['hook_plugins'])}):")
    for entry in report["hook_plugins"]:
        out(f"  {entry['name']:<36} {entry['distribution'] or '?'} {entry['version'] or ''}".rstrip())
    for entry in report.get("compute_plugins", []):
        out(f"compute plugin {entry['name']} ({entry['distribution'] or '?'} {entry['version'] or ''}".rstrip()
            + f"): {entry['detail']}")
        for kernel_name, state in entry.get("kernels", {}).items():
            out(f"  {kernel_name:<36} {state}")
    out(f"matrix products: {report['matrix_products']}")
    out(f"elementwise kernels: {report['elementwise_kernels']}")
    if report["failures"]:
        out(f"failed to load ({len(report['failures'])}):")
        for failure in report["failures"]:
            where = (f"{failure['distribution']} {failure['version'] or ''}, {failure['entry_point']}"
                     if failure["distribution"] else "")
            label = f"{failure['kind']} {failure['name'] or ''}".strip()
            out(f"  {label}: {where + ': ' if where else ''}{failure['reason']}")
    else:
        out("failed to load: none")
    return 1 if report["failures"] and os.environ.get(STRICT_ENV) else 0  # strict: a failure fails the command


def _origin(entry):
    if entry["distribution"]:
        return f"{entry['distribution']} {entry['version'] or ''}".strip()
    return "CONFLICT" if "claimed_by" in entry else "registered at runtime"


def _remarks(kind, entry):
    remarks = []
    if "claimed_by" in entry:
        remarks.append("claimed by " + ", ".join(c["distribution"] or "?" for c in entry["claimed_by"]))
    if "shadows" in entry:
        remarks.append(f"shadows {entry['shadows']}")
    return f"  [{'; '.join(remarks)}]" if remarks else ""


def _declared_components(distribution):
    """``[(kind, name)]``: one name per object the distribution declares (the object's own name
    when it is one of its entry points, else the first), and ``None`` when it is not installed."""
    import importlib_metadata

    from .registry import KINDS

    try:
        dist = importlib_metadata.distribution(distribution)
    except importlib_metadata.PackageNotFoundError:
        return None
    found = {}
    for ep in dist.entry_points:
        kind = ep.group.split(".", 1)[1] if ep.group.startswith("numkeras.") else None
        if kind in KINDS:
            found.setdefault((kind, ep.value), []).append(ep.name)
    components = []
    for (kind, value), names in sorted(found.items()):
        attribute = value.split(":")[-1].split(".")[-1]
        components.append((kind, attribute if attribute in names else names[0]))
    return components


def check_plugin(distribution, out=print):
    """Runs the kit over ``distribution``'s components and prints the table; returns the exit status."""
    from .testing import Component, run_checks

    components = _declared_components(distribution)
    if components is None:
        out(f"numkeras check-plugin: no installed distribution named {distribution!r}.")
        return 2
    if not components:
        out(f"numkeras check-plugin: {distribution} declares no numkeras component entry point.")
        return 2
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind, name in components:
            try:
                results = run_checks(Component(kind, name))
            except Exception as error:  # noqa: BLE001 - a component the kit cannot even build is a failure
                results = [("build", "fail", f"{type(error).__name__}: {error}")]
            rows += [(name, kind, check, status, detail) for check, status, detail in results]
    out(f"{'component':<28} {'kind':<13} {'check':<26} result")
    for name, kind, check, status, detail in rows:
        out(f"{name:<28} {kind:<13} {check:<26} {status}{': ' + detail if detail else ''}")
    failed = sorted({name for name, _, _, status, _ in rows if status == "fail"})
    counts = {s: sum(r[3] == s for r in rows) for s in ("pass", "fail", "skip")}
    out(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
        + (f"; failing: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def new_plugin(name, kinds, out=print):
    """Writes the plugin distribution ``./name``; returns the exit status."""
    from .scaffold import new_plugin as write

    root = write(name, kinds)
    out(f"Wrote {root}/: pip install -e '{root}[test]' && pytest {root}")
    return 0


def main(argv=None):
    """Entry point of the ``numkeras`` console script."""
    from .registry import KINDS

    parser = argparse.ArgumentParser(prog="numkeras", description="numkeras command-line tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    summary_parser = commands.add_parser("summary", help="print a saved model's summary and training config")
    summary_parser.add_argument("file", help="an HDF5 model (model.save) or weights (save_weights) file")
    summary_parser.add_argument("--unsafe", action="store_true",
                                help="allow rebuilding Lambda functions from the file (runs code it holds)")
    plugins_parser = commands.add_parser("plugins", help="list registered components and plugin failures")
    plugins_parser.add_argument("--json", action="store_true", help="print JSON")
    plugins_parser.add_argument("--kind", choices=KINDS, help="list only this kind of component")
    plugins_parser.add_argument("--distribution", metavar="NAME",
                                help="list only what this distribution provides or claims")
    check_parser = commands.add_parser("check-plugin", help="run the conformance kit over a distribution's components")
    check_parser.add_argument("distribution", help="the installed distribution's name (as pip knows it)")
    new_parser = commands.add_parser("new-plugin", help="write a ready plugin distribution under ./NAME")
    new_parser.add_argument("name", help="the distribution's name (its package is the name in snake case)")
    new_parser.add_argument("--kinds", default="layer,loss,metric",
                            help="comma-separated: layer, loss, metric, optimizer, activation, callback, hook")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "summary":
            return summary(args.file, unsafe=args.unsafe)
        if args.command == "check-plugin":
            return check_plugin(args.distribution)
        if args.command == "new-plugin":
            return new_plugin(args.name, [k.strip() for k in args.kinds.split(",") if k.strip()])
        return plugins(as_json=args.json, kind=args.kind, distribution=args.distribution)
    except (OSError, ValueError, NotImplementedError, ImportError) as error:
        from .saving.errors import UnsafeDeserializationError

        print(f"numkeras {args.command}: error: {error}", file=sys.stderr)
        if isinstance(error, UnsafeDeserializationError):
            print("numkeras summary: pass --unsafe to load it anyway, if you trust the file.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
