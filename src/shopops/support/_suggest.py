"""New FAQ entries from what the bot could not answer: cluster the handed-off questions, rank by how often.

The questions an agent answered after a hand-off are grouped by the cosine of their character
n-gram TF-IDF vectors (agglomerative clustering, average linkage, a distance cut), per language. Each
group becomes one suggestion: the question nearest the group's centre, the agent's most frequent
reply in it, and how many questions it covers; the biggest groups come first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from shopops.support._text import char_ngrams, normalise

__all__ = ["suggest_faq_entries"]


def suggest_faq_entries(handed_off: pd.DataFrame, *, distance: float = 0.75, min_count: int = 1) -> pd.DataFrame:
    """Suggested FAQ entries from handed-off questions and the agents' replies.

    Parameters
    ----------
    handed_off : DataFrame
        Columns ``question``, ``language`` and ``agent_reply`` (None while unanswered).
    distance : float
        Cosine distance under which two questions are one topic.
    min_count : int
        Smallest group to suggest.

    Returns
    -------
    DataFrame
        ``language, question, suggested_answer, count, answered, examples``, most frequent first.
    """
    columns = ["language", "question", "suggested_answer", "count", "answered", "examples"]
    if handed_off.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for language, part in handed_off.groupby(handed_off["language"].fillna("en")):
        part = part.reset_index(drop=True)
        norm = [normalise(str(q)) for q in part["question"]]
        if len(part) == 1:
            labels = np.zeros(1, dtype=int)
            x = None
        else:
            x = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True).fit_transform(norm)
            labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                             distance_threshold=distance).fit_predict(x.toarray())
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            if members.size < min_count:
                continue
            if x is not None and members.size > 1:
                block = x[members].toarray()
                centre = block.mean(axis=0)
                rep = int(members[np.argmax(block @ centre)])
            else:
                rep = int(members[0])
            replies = part.loc[members, "agent_reply"].dropna()
            replies = replies[replies.astype(str).str.strip() != ""]
            rows.append({"language": language, "question": str(part.loc[rep, "question"]),
                         "suggested_answer": str(replies.value_counts().index[0]) if not replies.empty else None,
                         "count": int(members.size), "answered": int(replies.size),
                         "examples": " | ".join(str(q) for q in part.loc[members[:5], "question"])})
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["count", "answered"], ascending=False, kind="stable").reset_index(drop=True)
