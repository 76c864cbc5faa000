module github.com/kiln-ml/kiln

go 1.26

require (
	github.com/yalue/onnxruntime_go v1.27.0
	google.golang.org/protobuf v1.36.12
)
