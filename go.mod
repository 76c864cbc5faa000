module github.com/kiln-ml/kiln

go 1.26.0

require (
	github.com/alecthomas/participle/v2 v2.1.4
	github.com/goccy/go-graphviz v0.2.10
	github.com/sergi/go-diff v1.4.0
	github.com/tetratelabs/wazero v1.10.1
	github.com/yalue/onnxruntime_go v1.27.0
	golang.org/x/term v0.47.0
	golang.org/x/tools v0.52.0
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/sys v0.49.0 // indirect

require (
	github.com/disintegration/imaging v1.6.2 // indirect
	github.com/flopp/go-findfont v0.1.0 // indirect
	github.com/fogleman/gg v1.3.0 // indirect
	github.com/golang/freetype v0.0.0-20170609003504-e2365dfdc4a0 // indirect
	golang.org/x/image v0.21.0 // indirect
	golang.org/x/text v0.19.0 // indirect
)
