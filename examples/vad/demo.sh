#!/usr/bin/env bash
# make demo: a real trained model, fetched at demo time, run by kiln's
# interpreter on speech made here, and compiled to Go by kiln compile and
# run on the same frames, with both latencies. Nothing model-like is kept in the repo:
# the model comes from the npm package @ricky0123/vad-web (pinned), the
# audio from espeak-ng.
set -euo pipefail
cd "$(dirname "$0")/../.."

VAD_WEB=@ricky0123/vad-web@0.0.31
CACHE=.cache/demo
OUT=demo-out
mkdir -p "$CACHE" "$OUT"

model="$CACHE/silero_vad_v5.onnx"
if [ ! -f "$model" ]; then
	echo "fetching $VAD_WEB (npm pack) ..."
	tgz=$(cd "$CACHE" && npm pack --silent "$VAD_WEB" </dev/null | tail -n1)
	tar -xzf "$CACHE/$tgz" -C "$CACHE" package/dist/silero_vad_v5.onnx
	mv "$CACHE/package/dist/silero_vad_v5.onnx" "$model"
	rm -rf "$CACHE/package" "$CACHE/$tgz"
fi
echo "model: $model ($(stat -c %s "$model") bytes, sha256 $(sha256sum "$model" | cut -c1-16)...)"

# Two sentences with silence around them, 16 kHz mono 16-bit.
s1="The kiln compiler reads this voice detector and runs it one frame at a time."
s2="Silence comes before and after each sentence."
espeak-ng -v en-us -s 155 -w "$CACHE/s1.wav" "$s1"
espeak-ng -v en-us -s 155 -w "$CACHE/s2.wav" "$s2"
sox "$CACHE/s1.wav" -r 16000 -c 1 -b 16 "$CACHE/s1-16k.wav" pad 1.0 0.75
sox "$CACHE/s2.wav" -r 16000 -c 1 -b 16 "$CACHE/s2-16k.wav" pad 0.75 1.0
sox "$CACHE/s1-16k.wav" "$CACHE/s2-16k.wav" "$OUT/speech.wav"
d1=$(soxi -D "$CACHE/s1.wav")
d2=$(soxi -D "$CACHE/s2.wav")
awk -v d1="$d1" -v d2="$d2" 'BEGIN {
	a = 1.0; b = a + d1; c = b + 0.75 + 0.75; d = c + d2
	printf "audio: %s, speech synthesized at %.2f-%.2f s and %.2f-%.2f s (espeak-ng output, incl. its own short edges)\n", "demo-out/speech.wav", a, b, c, d
}'

# The same model compiled to Go by kiln compile, built with the runner
# examples/vad/compiled/main.go in a module of its own (vaddemo), then run
# by examples/vad on the frames it gives the interpreter. While codegen
# cannot compile the model, the demo says why and runs the interpreter only.
comp="$CACHE/compiled"
rm -rf "$comp"
mkdir -p "$comp"
compiled=()
echo "kiln compile $model -o $comp/silero ..."
if go run ./cmd/kiln compile "$model" -o "$comp/silero" --package silero \
	--dim input.0=1 --dim input.1=512 --dim state.1=1 2>"$comp/compile.log"; then
	cp examples/vad/compiled/main.go "$comp/main.go"
	printf 'module vaddemo\n\ngo 1.22\n' >"$comp/go.mod"
	(cd "$comp" && GOWORK=off GOFLAGS= CGO_ENABLED=0 go build -o vad-compiled main.go)
	compiled=(-compiled "$comp/vad-compiled")
else
	echo "kiln compile cannot compile this model yet; only the interpreter runs:"
	sed 's/^/  /' "$comp/compile.log"
fi
echo

go run ./examples/vad -model "$model" -wav "$OUT/speech.wav" "${compiled[@]}"
