module aspen.test/goclient

go 1.19
