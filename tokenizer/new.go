package tokenizer

// New checks v and builds its tokenizer. Empty token texts are renamed
// "[EMPTY_<id>]" so they never match; two tokens with the same text are an
// error. The Tokenizer keeps v's slices: do not change them afterwards.
func New(v Vocab) (*Tokenizer, error) { return newTokenizer(v) }
