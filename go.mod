module github.com/kiln-ml/kiln

go 1.26.0

require (
	github.com/alecthomas/participle/v2 v2.1.4
	google.golang.org/protobuf v1.36.12
)
