package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// picture returns a w×h white image with a band of the given colours,
// each colour filling n pixels of the rows from y0 on.
func picture(w, h, y0, n int, cs ...color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	k := 0
	for _, c := range cs {
		for j := 0; j < n; j++ {
			img.SetRGBA(k%w, y0+k/w, c)
			k++
		}
	}
	return img
}

var palette = []color.RGBA{
	{0xd4, 0xf0, 0xd4, 0xff}, {0xc9, 0xec, 0xef, 0xff}, {0xfd, 0xf1, 0xc0, 0xff},
	{0xff, 0xd8, 0xc2, 0xff}, {0xd6, 0xde, 0xf7, 0xff}, {0x6b, 0x72, 0x80, 0xff},
	{0x1f, 0x29, 0x37, 0xff},
}

func TestMeasure(t *testing.T) {
	tests := []struct {
		name    string
		img     image.Image
		skip    int
		ink     float64
		colors  int
		wantErr bool
	}{
		{"white", picture(10, 10, 0, 0), 0, 0, 0, false},
		// 7 colours × 5 pixels = 35 of 100 pixels.
		{"graph", picture(10, 10, 0, 5, palette...), 0, 0.35, 7, false},
		// The same band in the top 4 rows only: skipping them leaves white.
		{"header only", picture(10, 10, 0, 5, palette...), 4, 0, 0, false},
		// Near-white (0xf8 > 0xf0 on every channel) is background.
		{"near white", picture(10, 10, 0, 50, color.RGBA{0xf8, 0xf8, 0xf8, 0xff}), 0, 0, 0, false},
		// Two shades 1/255 apart fall in one 5-bit bucket.
		{"close shades", picture(10, 10, 0, 10, color.RGBA{0x80, 0x80, 0x80, 0xff}, color.RGBA{0x81, 0x80, 0x80, 0xff}), 0, 0.2, 1, false},
		{"skip all", picture(10, 10, 0, 0), 10, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := measure(tt.img, tt.skip)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if st.Ink != tt.ink || st.Colors != tt.colors {
				t.Errorf("ink %g, %d colours; want %g, %d", st.Ink, st.Colors, tt.ink, tt.colors)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, img image.Image) string {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.png", picture(20, 20, 5, 20, palette...))
	blank := write("blank.png", picture(20, 20, 0, 0))
	header := write("header.png", picture(20, 20, 0, 5, palette...))
	notPNG := filepath.Join(dir, "x.png")
	os.WriteFile(notPNG, []byte("not a png"), 0o644)
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{good}, 0, "ink 0.350, 7 colours: ok"},
		{[]string{blank}, 1, "BLANK"},
		{[]string{"-skip-top", "2", header}, 1, "BLANK"},
		{[]string{header}, 0, ": ok"},
		{[]string{good, blank}, 1, "BLANK"},
		{[]string{notPNG}, 1, ""},
		{[]string{filepath.Join(dir, "missing.png")}, 1, ""},
		{nil, 2, ""},
		{[]string{"-nosuch", good}, 2, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String(), tt.out) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d with %q", tt.args, code, out.String(), errOut.String(), tt.code, tt.out)
		}
	}
}
