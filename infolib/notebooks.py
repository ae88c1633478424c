"""Run the figure notebooks headless with parameters (nbclient, papermill's `parameters` convention).

The cell tagged `parameters` holds the defaults; `run_notebook` inserts a cell tagged
`injected-parameters` after it that overrides them, as papermill does, and executes the copy.
`strip_outputs` / `has_outputs` keep the committed notebooks free of outputs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Mapping

from .core.extras import require

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
FIGURE_NOTEBOOKS = (
    "00_quickstart",
    "01_method_on_a_toy",
    "02_gradient_vs_information_across_layers",
    "03_reverse_sequence",
    "04_sentiment_methods",
    "05_model_comparison",
    "06_layerwise_forgetting",
    "07_fine_grained_forgetting",
    "09_faithfulness",
)
# Notebooks that read back (model, state, sentence) results another notebook computes: run after it, so
# two notebooks running side by side never compute the same pair twice.
READS_FROM = {
    "04_sentiment_methods": ("02_gradient_vs_information_across_layers",),
    "06_layerwise_forgetting": ("02_gradient_vs_information_across_layers",),
    "07_fine_grained_forgetting": ("02_gradient_vs_information_across_layers",),
    "09_faithfulness": ("02_gradient_vs_information_across_layers",),  # its scores are 02's
}


def inject_parameters(nb, parameters: Mapping[str, object]):
    """Insert a cell setting `parameters` right after the cell tagged 'parameters' (or first)."""
    nbformat = require("nbformat", "running notebooks")  # optional: the [notebooks] extra

    source = "# Parameters\n" + "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), -1)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(index + 1, cell)
    return nb


def run_notebook(
    path: str | Path,
    out: str | Path | None = None,
    parameters: Mapping[str, object] | None = None,
    timeout: int = 900,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> float:
    """Execute a notebook with `parameters`; write the executed copy to `out`; return seconds taken.

    Runs in the notebook's folder (so relative paths like '../reports' work) unless `cwd` is given.
    The kernel inherits this process's environment (INFOLIB_CACHE, OMP_NUM_THREADS, ...), updated by `env`.
    Raises nbclient's CellExecutionError with the failing cell's traceback.
    """
    nbformat = require("nbformat", "running notebooks")  # optional: the [notebooks] extra
    NotebookClient = require("nbclient", "running notebooks").NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if parameters:
        inject_parameters(nb, parameters)
    started = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd or path.parent)}}
    )
    try:
        client.execute(**({"env": {**os.environ, **env}} if env else {}))
    finally:
        if out is not None:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out)
    return time.perf_counter() - started


def has_outputs(nb) -> bool:
    """True when any code cell carries outputs or an execution count."""
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None) for c in nb.cells)


def strip_outputs(path: str | Path) -> bool:
    """Remove outputs and execution counts in place; True when the file changed."""
    import nbformat  # lazy: optional dependency (nbformat)

    nb = nbformat.read(path, as_version=4)
    if not has_outputs(nb):
        return False
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)
    return True
