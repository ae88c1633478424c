"""mkdocs hook: publish the repository's notebooks/ (outside docs/) as pages under notebooks/.

Runs before mkdocs-jupyter's on_files (higher priority), which then renders them, unexecuted.
"""

from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File


@event_priority(100)
def on_files(files, config):
    root = Path(config["config_file_path"]).parent
    for notebook in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        uri = notebook.relative_to(root).as_posix()
        if files.get_file_from_path(uri) is None:
            # A plain File with the repository as its source folder (mkdocs-jupyter cannot wrap File.generated).
            files.append(
                File(
                    uri, src_dir=str(root), dest_dir=config["site_dir"], use_directory_urls=config["use_directory_urls"]
                )
            )
    return files
