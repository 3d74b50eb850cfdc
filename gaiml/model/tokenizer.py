"""The one-token-per-character tokenizer: every character, digits and whitespace included.

Wordpiece would merge "2259" into one token and drop the spaces and line breaks that carry
column information in `pdftotext -layout` and one-cell-per-line text. Text is folded
(`gaiml.text.fold`) before it is tokenized, so full-width forms share the ASCII tokens.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIALS = (PAD, UNK, CLS, SEP, MASK)
TOKENIZER_FILE = "tokenizer.json"


def character_inventory() -> list[str]:
    """The characters that get their own token: ASCII, whitespace, the GB2312 hanzi and symbols,
    CJK punctuation and box-drawing characters (the rest are [UNK])."""
    chars = [chr(c) for c in range(0x20, 0x7F)] + ["\t", "\n", "\r"]
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    chars += [chr(c) for c in range(0x3000, 0x3040)]  # CJK punctuation
    chars += [chr(c) for c in range(0x2500, 0x2580)]  # box drawing
    chars += list("—–‘’“”…·•●○□■※〇丨")
    return list(dict.fromkeys(ch for ch in chars if len(ch) == 1))


def build_tokenizer(chars: list[str]) -> Tokenizer:
    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    # "[\s\S]" rather than "(?s)." or "\X": the first fails in this regex engine and the second
    # merges "\r\n" into one token.
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}", special_tokens=[(CLS, vocab[CLS]), (SEP, vocab[SEP])])
    return tokenizer


def save_tokenizer(tokenizer: Tokenizer, directory: str | Path) -> Path:
    path = Path(directory) / TOKENIZER_FILE
    tokenizer.save(str(path))
    return path


def load_tokenizer(directory: str | Path) -> Tokenizer:
    return Tokenizer.from_file(str(Path(directory) / TOKENIZER_FILE))


def encode_chars(tokenizer: Tokenizer, folded: str) -> list[int]:
    """Token ids of ``folded``, exactly one per character (no special tokens)."""
    ids = tokenizer.encode(folded, add_special_tokens=False).ids
    if len(ids) != len(folded):
        raise ValueError(f"tokenizer gave {len(ids)} tokens for {len(folded)} characters")
    return ids
