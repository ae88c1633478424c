"""Data loaders: row counts of the shipped files, tree parsing, reversal generator, missing data."""

import pytest

from infolib.core import data, paths
from infolib.core.paths import DataNotFoundError


def _or_skip(load, *args):
    try:
        return load(*args)
    except DataNotFoundError as error:
        pytest.skip(f"data not installed: {error}")


@pytest.mark.parametrize("split, rows", [("dev", 872), ("train", 67_349), ("test", 1_821)])
def test_sst2_rows(split, rows):
    sst2 = _or_skip(data.load_sst2, split)
    assert len(sst2) == len(sst2.labels) == rows
    assert set(sst2.labels) == {0, 1}


@pytest.mark.parametrize("split, rows, acceptable", [("train", 8_551, 6_023), ("dev", 527, 365), ("dev-ood", 516, 354)])
def test_cola_rows(split, rows, acceptable):
    cola = _or_skip(data.load_cola, split)
    assert len(cola) == rows
    assert sum(cola.labels) == acceptable
    assert all(s and "\t" not in s for s in cola.sentences)


@pytest.mark.parametrize("split, rows", [("dev", 1_101), ("test", 2_210)])
def test_tree_rows(split, rows):
    trees = _or_skip(data.load_sst_trees, split)
    assert len(trees) == rows
    assert all(len(t.words) == len(t.word_labels) > 0 for t in trees)
    assert all(0 <= label <= 4 for t in trees for label in t.word_labels + [t.root_label])


def test_dev_trees_match_sst2_dev():
    trees = _or_skip(data.load_sst_trees, "dev")
    # Dropping neutral roots leaves the 872 GLUE dev sentences (PROVENANCE.md).
    assert sum(t.root_label != 2 for t in trees) == 872


def test_parse_tree():
    tree = data.parse_tree("(3 (2 It) (4 (2 -LRB-) (3 (3 lovely) (2 1\\/2))))")
    assert tree.words == ["It", "(", "lovely", "1/2"]
    assert tree.word_labels == [2, 2, 3, 2]
    assert tree.root_label == 3
    assert tree.sentence == "It ( lovely 1/2"
    for bad in ["(3 (2 It)", "(3 (2 It))) x", "It", "(x (2 a))"]:
        with pytest.raises(ValueError):
            data.parse_tree(bad)


def test_cola_malformed_row(tmp_path):
    (tmp_path / "cola" / "raw").mkdir(parents=True)
    (tmp_path / "cola" / "raw" / "in_domain_dev.tsv").write_text("gj04\t1\t\tFine.\ngj04\tmaybe\n")
    with pytest.raises(ValueError, match="4 tab-separated columns"):
        data.load_cola("dev", data_dir=tmp_path)


def test_unknown_split():
    with pytest.raises(ValueError, match="dev-ood"):
        data.load_cola("test")
    with pytest.raises(ValueError, match="choose from"):
        data.load_sst_trees("train")


def test_missing_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "env"))
    monkeypatch.setattr(paths, "PACKAGE_PARENT", tmp_path / "checkout")  # not a checkout: hide data/, ../shared/data
    for load in (data.load_sst2, data.load_cola, data.load_sst_trees):
        with pytest.raises(DataNotFoundError) as raised:
            load("dev", data_dir=tmp_path / "given")
        message = str(raised.value)
        assert str(tmp_path / "given") in message and paths.DATA_ENV in message


def test_reverse_generator():
    train = data.make_reverse("train", 200, min_len=2, max_len=6, seed=3)
    again = data.make_reverse("train", 200, min_len=2, max_len=6, seed=3)
    dev = data.make_reverse("dev", 200, min_len=2, max_len=6, seed=3)
    assert train == again and train.sentences != dev.sentences
    lengths = {len(s.split()) for s in train.sentences}
    assert lengths == set(range(2, 7))
    for sentence, target in zip(train.sentences, train.targets):
        assert target.split() == sentence.split()[::-1]
        assert set(sentence.split()) <= set(data.REVERSE_VOCAB)
    assert len(data.make_reverse("dev")) == 1_000
    with pytest.raises(ValueError):
        data.make_reverse("train", 5, min_len=4, max_len=2)
