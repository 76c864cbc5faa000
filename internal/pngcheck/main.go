// Command pngcheck fails when a screenshot looks blank. `make graph-check`
// runs it on the headless-Chromium screenshots of `kiln graph` pages: a
// page whose graph did not render is white (or shows only its header), so
// each PNG must have enough non-white pixels and enough distinct colours
// below the rows it is told to skip.
//
// Usage: go run ./internal/pngcheck [-skip-top N] [-min-ink F] [-min-colors N] FILE.png...
package main

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pngcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	skip := fs.Int("skip-top", 0, "ignore the top `N` rows (a page header)")
	minInk := fs.Float64("min-ink", 0.01, "least `fraction` of pixels that must not be near-white")
	minColors := fs.Int("min-colors", 6, "least `number` of distinct colours (5 bits per channel) among the non-white pixels")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "pngcheck: no PNG files given")
		return 2
	}
	code := 0
	for _, path := range fs.Args() {
		st, err := checkFile(path, *skip)
		if err != nil {
			fmt.Fprintf(stderr, "pngcheck: %v\n", err)
			code = 1
			continue
		}
		verdict := "ok"
		if st.Ink < *minInk || st.Colors < *minColors {
			verdict = fmt.Sprintf("BLANK (want ink >= %g and >= %d colours)", *minInk, *minColors)
			code = 1
		}
		fmt.Fprintf(stdout, "%s: %dx%d, ink %.3f, %d colours: %s\n", path, st.Width, st.Height, st.Ink, st.Colors, verdict)
	}
	return code
}

// stats describes the part of an image below the skipped rows.
type stats struct {
	Width, Height int
	Ink           float64 // fraction of pixels that are not near-white
	Colors        int     // distinct non-white colours, 5 bits per channel
}

func checkFile(path string, skip int) (stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return stats{}, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return stats{}, fmt.Errorf("%s: %w", path, err)
	}
	st, err := measure(img, skip)
	if err != nil {
		return stats{}, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// nearWhite is the 16-bit channel level above which all three channels
// make a pixel count as background.
const nearWhite = 0xf000

// measure computes the stats of img below its top skip rows.
func measure(img image.Image, skip int) (stats, error) {
	b := img.Bounds()
	st := stats{Width: b.Dx(), Height: b.Dy()}
	if skip < 0 || skip >= b.Dy() {
		return st, fmt.Errorf("skip-top %d leaves nothing of a %d-row image", skip, b.Dy())
	}
	colors := map[uint32]bool{}
	ink, total := 0, 0
	for y := b.Min.Y + skip; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r >= nearWhite && g >= nearWhite && bl >= nearWhite {
				continue
			}
			ink++
			colors[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	st.Ink = float64(ink) / float64(total)
	st.Colors = len(colors)
	return st, nil
}
