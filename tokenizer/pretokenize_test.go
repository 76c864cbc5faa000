package tokenizer

import (
	"slices"
	"testing"
)

// preSplit runs the pre-tokenizer named pre over text and returns its
// words.
func preSplit(t *testing.T, pre, text string) []string {
	t.Helper()
	p, ok := preTokenizers[pre]
	if !ok {
		t.Fatalf("no pre-tokenizer %q", pre)
	}
	cps := []rune(text)
	var words []string
	start := 0
	for _, n := range p.split(cps) {
		words = append(words, string(cps[start:start+n]))
		start += n
	}
	if start != len(cps) {
		t.Fatalf("%s: pieces cover %d of %d code points", pre, start, len(cps))
	}
	return words
}

// TestPreTokenizeASCII checks the hand-written scanners against the
// regexes they implement. The expected words of these ASCII texts were
// computed with a backtracking regex engine (Python's re, \p{L} and \p{N}
// written as [A-Za-z] and [0-9], which is exact for ASCII), chaining the
// regexes of falcon and default the way llama.cpp does: each splits the
// pieces of the one before, and text between matches stays a piece.
func TestPreTokenizeASCII(t *testing.T) {
	tests := []struct {
		pre, text string
		want      []string
	}{
		{"gpt-2", "Hello world", []string{"Hello", " world"}},
		{"llama3", "Hello world", []string{"Hello", " world"}},
		{"falcon", "Hello world", []string{"Hello", " world"}},
		{"default", "Hello world", []string{"Hello", " world"}},
		{"gpt-2", " Hello  world", []string{" Hello", " ", " world"}},
		{"llama3", " Hello  world", []string{" Hello", " ", " world"}},
		{"falcon", " Hello  world", []string{" Hello", " ", " world"}},
		{"default", " Hello  world", []string{" Hello", " ", " world"}},
		{"gpt-2", "I've been 'told he's there, 'RE you sure? 'M not", []string{"I", "'ve", " been", " '", "told", " he", "'s", " there", ",", " '", "RE", " you", " sure", "?", " '", "M", " not"}},
		{"llama3", "I've been 'told he's there, 'RE you sure? 'M not", []string{"I", "'ve", " been", " '", "told", " he", "'s", " there", ",", " '", "RE", " you", " sure", "?", " '", "M", " not"}},
		{"falcon", "I've been 'told he's there, 'RE you sure? 'M not", []string{"I", "'", "ve", " been", " ", "'", "told", " he", "'", "s", " there", ",", " ", "'", "RE", " you", " sure", "?", " ", "'", "M", " not"}},
		{"default", "I've been 'told he's there, 'RE you sure? 'M not", []string{"I", "'", "ve", " been", " ", "'", "told", " he", "'", "s", " there", ",", " ", "'", "RE", " you", " sure", "?", " ", "'", "M", " not"}},
		{"gpt-2", "a'll 'LL 'd 'D 'x", []string{"a", "'ll", " '", "LL", " '", "d", " '", "D", " '", "x"}},
		{"llama3", "a'll 'LL 'd 'D 'x", []string{"a", "'ll", " '", "LL", " '", "d", " '", "D", " '", "x"}},
		{"falcon", "a'll 'LL 'd 'D 'x", []string{"a", "'", "ll", " ", "'", "LL", " ", "'", "d", " ", "'", "D", " ", "'", "x"}},
		{"default", "a'll 'LL 'd 'D 'x", []string{"a", "'", "ll", " ", "'", "LL", " ", "'", "d", " ", "'", "D", " ", "'", "x"}},
		{"gpt-2", "3 33 333 3333 33333 1234567", []string{"3", " 33", " 333", " 3333", " 33333", " 1234567"}},
		{"llama3", "3 33 333 3333 33333 1234567", []string{"3", " ", "33", " ", "333", " ", "333", "3", " ", "333", "33", " ", "123", "456", "7"}},
		{"falcon", "3 33 333 3333 33333 1234567", []string{"3", " 33", " ", "333", " ", "333", "3", " ", "333", "33", " ", "123", "456", "7"}},
		{"default", "3 33 333 3333 33333 1234567", []string{"3", " ", "33", " ", "333", " ", "333", "3", " ", "333", "33", " ", "123", "456", "7"}},
		{"gpt-2", "3.3 3..3 3...3 x123y", []string{"3", ".", "3", " 3", "..", "3", " 3", "...", "3", " x", "123", "y"}},
		{"llama3", "3.3 3..3 3...3 x123y", []string{"3", ".", "3", " ", "3", "..", "3", " ", "3", "...", "3", " x", "123", "y"}},
		{"falcon", "3.3 3..3 3...3 x123y", []string{"3", ".", "3", " 3", "..", "3", " 3", "...", "3", " x", "123", "y"}},
		{"default", "3.3 3..3 3...3 x123y", []string{"3", ".", "3", " ", "3", "..", "3", " ", "3", "...", "3", " x", "123", "y"}},
		{"gpt-2", "  \n  \n\n x\t\ty ", []string{"  \n  \n\n", " x", "\t", "\t", "y", " "}},
		{"llama3", "  \n  \n\n x\t\ty ", []string{"  \n  \n\n", " x", "\t", "\ty", " "}},
		{"falcon", "  \n  \n\n x\t\ty ", []string{"  \n  \n\n", " x", "\t", "\t", "y", " "}},
		{"default", "  \n  \n\n x\t\ty ", []string{"  \n  \n\n", " x", "\t", "\t", "y", " "}},
		{"gpt-2", "\n =", []string{"\n", " ="}},
		{"llama3", "\n =", []string{"\n", " ="}},
		{"falcon", "\n =", []string{"\n ", "="}},
		{"default", "\n =", []string{"\n ", "="}},
		{"gpt-2", "!!!!!! ?? ...", []string{"!!!!!!", " ??", " ..."}},
		{"llama3", "!!!!!! ?? ...", []string{"!!!!!!", " ??", " ..."}},
		{"falcon", "!!!!!! ?? ...", []string{"!!!!!!", " ", "??", " ", "..."}},
		{"default", "!!!!!! ?? ...", []string{"!!!!!!", " ", "??", " ", "..."}},
		{"gpt-2", "a+b=c <=> ^~|` $5", []string{"a", "+", "b", "=", "c", " <=>", " ^~|`", " $", "5"}},
		{"llama3", "a+b=c <=> ^~|` $5", []string{"a", "+b", "=c", " <=>", " ^~|`", " $", "5"}},
		{"falcon", "a+b=c <=> ^~|` $5", []string{"a", "+", "b", "=", "c", " ", "<=>", " ", "^~|`", " ", "$", "5"}},
		{"default", "a+b=c <=> ^~|` $5", []string{"a", "+", "b", "=", "c", " ", "<=>", " ", "^~|", "`", " ", "$", "5"}},
		{"gpt-2", "(normal) [x] {y} @z #1 %2 &3 *4", []string{"(", "normal", ")", " [", "x", "]", " {", "y", "}", " @", "z", " #", "1", " %", "2", " &", "3", " *", "4"}},
		{"llama3", "(normal) [x] {y} @z #1 %2 &3 *4", []string{"(normal", ")", " [", "x", "]", " {", "y", "}", " @", "z", " #", "1", " %", "2", " &", "3", " *", "4"}},
		{"falcon", "(normal) [x] {y} @z #1 %2 &3 *4", []string{"(", "normal", ")", " ", "[", "x", "]", " ", "{", "y", "}", " ", "@", "z", " ", "#", "1", " ", "%", "2", " ", "&", "3", " ", "*", "4"}},
		{"default", "(normal) [x] {y} @z #1 %2 &3 *4", []string{"(", "normal", ")", " ", "[", "x", "]", " ", "{", "y", "}", " ", "@", "z", " ", "#", "1", " ", "%", "2", " ", "&", "3", " ", "*", "4"}},
		{"gpt-2", "    Hello\n    Hello", []string{"   ", " Hello", "\n   ", " Hello"}},
		{"llama3", "    Hello\n    Hello", []string{"   ", " Hello", "\n", "   ", " Hello"}},
		{"falcon", "    Hello\n    Hello", []string{"   ", " Hello", "\n   ", " Hello"}},
		{"default", "    Hello\n    Hello", []string{"   ", " Hello", "\n   ", " Hello"}},
		{"gpt-2", "line\r\nbreak\r\n\r\n  end", []string{"line", "\r", "\n", "break", "\r\n\r\n ", " end"}},
		{"llama3", "line\r\nbreak\r\n\r\n  end", []string{"line", "\r\n", "break", "\r\n\r\n", " ", " end"}},
		{"falcon", "line\r\nbreak\r\n\r\n  end", []string{"line", "\r", "\n", "break", "\r\n\r\n ", " end"}},
		{"default", "line\r\nbreak\r\n\r\n  end", []string{"line", "\r", "\n", "break", "\r\n\r\n ", " end"}},
		{"gpt-2", "''' ``` \"\"\"", []string{"'''", " ```", " \"\"\""}},
		{"llama3", "''' ``` \"\"\"", []string{"'''", " ```", " \"\"\""}},
		{"falcon", "''' ``` \"\"\"", []string{"'''", " ", "```", " ", "\"\"\""}},
		{"default", "''' ``` \"\"\"", []string{"'''", " ```", " ", "\"\"\""}},
		{"qwen2", "Hello world", []string{"Hello", " world"}},
		{"qwen2", " Hello  world", []string{" Hello", " ", " world"}},
		{"qwen2", "I've been 'told he's there, 'RE you sure? 'M not", []string{"I", "'ve", " been", " '", "told", " he", "'s", " there", ",", " '", "RE", " you", " sure", "?", " '", "M", " not"}},
		{"qwen2", "a'll 'LL 'd 'D 'x", []string{"a", "'ll", " '", "LL", " '", "d", " '", "D", " '", "x"}},
		{"qwen2", "3 33 333 3333 33333 1234567", []string{"3", " ", "3", "3", " ", "3", "3", "3", " ", "3", "3", "3", "3", " ", "3", "3", "3", "3", "3", " ", "1", "2", "3", "4", "5", "6", "7"}},
		{"qwen2", "3.3 3..3 3...3 x123y", []string{"3", ".", "3", " ", "3", "..", "3", " ", "3", "...", "3", " x", "1", "2", "3", "y"}},
		{"qwen2", "  \n  \n\n x\t\ty ", []string{"  \n  \n\n", " x", "\t", "\ty", " "}},
		{"qwen2", "\n =", []string{"\n", " ="}},
		{"qwen2", "!!!!!! ?? ...", []string{"!!!!!!", " ??", " ..."}},
		{"qwen2", "a+b=c <=> ^~|` $5", []string{"a", "+b", "=c", " <=>", " ^~|`", " $", "5"}},
		{"qwen2", "(normal) [x] {y} @z #1 %2 &3 *4", []string{"(normal", ")", " [", "x", "]", " {", "y", "}", " @", "z", " #", "1", " %", "2", " &", "3", " *", "4"}},
		{"qwen2", "    Hello\n    Hello", []string{"   ", " Hello", "\n", "   ", " Hello"}},
		{"qwen2", "line\r\nbreak\r\n\r\n  end", []string{"line", "\r\n", "break", "\r\n\r\n", " ", " end"}},
		{"qwen2", "''' ``` \"\"\"", []string{"'''", " ```", " \"\"\""}},
	}
	for _, tc := range tests {
		if got := preSplit(t, tc.pre, tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q:\n got %q\nwant %q", tc.pre, tc.text, got, tc.want)
		}
	}
}

// TestPreTokenizeUnicode checks the scanners on classes only non-ASCII
// text has, with the words worked out by hand from the regexes: Cyrillic
// letters, an emoji (a symbol, so it joins " ?[^\s\p{L}\p{N}]+"), a
// no-break space (whitespace, but not " "), Arabic-Indic digits (numbers,
// so llama3 groups them by three but [0-9] does not see them), and
// starcoder's single-number split.
func TestPreTokenizeUnicode(t *testing.T) {
	tests := []struct {
		pre, text string
		want      []string
	}{
		{"gpt-2", "нещо 🦙x", []string{"нещо", " 🦙", "x"}},
		{"llama3", "нещо 🦙x", []string{"нещо", " 🦙", "x"}},
		{"gpt-2", "a\u00a0b", []string{"a", "\u00a0", "b"}},
		{"llama3", "a\u00a0b", []string{"a", "\u00a0b"}},
		{"llama3", "٣٤٥٦", []string{"٣٤٥", "٦"}},
		{"falcon", "٣٤٥٦", []string{"٣٤٥٦"}},
		{"default", "x٣٤٥٦", []string{"x", "٣٤٥٦"}},
		{"starcoder", "a12 b3", []string{"a", "1", "2", " b", "3"}},
		{"gpt-2", "", nil},
	}
	for _, tc := range tests {
		if got := preSplit(t, tc.pre, tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q:\n got %q\nwant %q", tc.pre, tc.text, got, tc.want)
		}
	}
}
