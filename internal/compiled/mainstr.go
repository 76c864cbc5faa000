package compiled

import "github.com/kiln-ml/kiln/ir"

// String tensors travel to and from the generated main as .npy files of
// NumPy's string dtypes: '<U' (UTF-32, what tensor.WriteNPY writes for
// valid UTF-8) or '|S' (bytes), trailing NULs stripped as NumPy does. The
// unit table names such an input's dtype strDescr, which either matches.

// strDescr is the dtype main's unit table gives a string input.
const strDescr = "str"

func init() {
	goElemOf["Str"] = "string"
}

// isStringIO reports whether an input or output of element type d is a
// string tensor.
func isStringIO(d ir.DType) bool { return d == ir.String }

// mainStrings is the part of the generated main that reads and writes
// string tensors.
const mainStrings = `
// readStrings decodes the elements of a '<U' (UTF-32) or '|S' (bytes)
// .npy file of n elements, trailing NULs stripped as NumPy does.
func readStrings(path string, t tensor, data []byte, n int) (tensor, error) {
	w, err := strconv.Atoi(t.descr[2:])
	if err != nil || w < 1 {
		return t, fmt.Errorf("%s: bad string dtype %q", path, t.descr)
	}
	if t.descr[1] == 'U' {
		w *= 4
	}
	if len(data) != w*n {
		return t, fmt.Errorf("%s: %d data bytes for %d values of %s", path, len(data), n, t.descr)
	}
	t.strs = make([]string, n)
	for i := range t.strs {
		e := data[i*w : (i+1)*w]
		if t.descr[1] == 'S' {
			t.strs[i] = strings.TrimRight(string(e), "\x00")
			continue
		}
		var s strings.Builder
		for j := 0; j < len(e); j += 4 {
			c := binary.LittleEndian.Uint32(e[j:])
			if c > unicode.MaxRune || c >= 0xd800 && c < 0xe000 {
				return t, fmt.Errorf("%s: element %d: invalid code point %#x", path, i, c)
			}
			s.WriteRune(rune(c))
		}
		t.strs[i] = strings.TrimRight(s.String(), "\x00")
	}
	return t, nil
}

// stringTensor encodes strs as a .npy string tensor: '<U' of the longest
// element's width, or '|S' bytes when some element is not valid UTF-8.
func stringTensor(shape []int, strs []string) tensor {
	bytesForm := false
	for _, s := range strs {
		bytesForm = bytesForm || !utf8.ValidString(s)
	}
	width := 1
	for _, s := range strs {
		if bytesForm {
			width = max(width, len(s))
		} else {
			width = max(width, utf8.RuneCountInString(s))
		}
	}
	if bytesForm {
		data := make([]byte, width*len(strs))
		for i, s := range strs {
			copy(data[i*width:], s)
		}
		return tensor{descr: "|S" + strconv.Itoa(width), shape: shape, data: data}
	}
	data := make([]byte, 4*width*len(strs))
	for i, s := range strs {
		j := 4 * width * i
		for _, c := range s {
			binary.LittleEndian.PutUint32(data[j:], uint32(c))
			j += 4
		}
	}
	return tensor{descr: "<U" + strconv.Itoa(width), shape: shape, data: data}
}
`
