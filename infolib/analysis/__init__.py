"""Analysis on tidy tables: metrics, word kinds, per-figure tables, the paper's claims, the linear toy, edits.

The notebooks call `analysis.<function>`; every public function of the submodules is re-exported here.
"""

from . import claims, edits, kinds, metrics, runs, tables, toy
from .claims import CLAIM_COLUMNS, CLAIMS, VERDICTS, claim_row, claims_table, combine_verdicts, verdict
from .edits import WordDiff, align_words, information_diff, value_matrix
from .kinds import KINDS, add_word_kinds, sentiment_lexicon, with_sentiment_words, word_kind
from .runs import explain_methods, explain_reversal
from .tables import (
    coherence_per_sentence,
    coherence_table,
    forgetting_by_kind,
    half_depth_table,
    importance_map,
    information_by_kind,
    layer_magnitudes,
    model_accuracies,
    reversal_alignment_table,
    retention_table,
    reversal_per_sentence,
    sentence_profile_metrics,
    summarise,
    word_trajectories,
)
from .toy import LinearPhi, inverse_order_holds, linear_closed_form, linear_convergence, linear_sweep, linear_toy
