package tools

import (
	"hash/crc32"
	"io"
	"os"
)

// Hasher accumulates a CRC-32 checksum over streamed data.
type Hasher struct {
	sum uint32
}

// Write adds bytes to the running checksum.
func (h *Hasher) Write(p []byte) (int, error) {
	h.sum = crc32.Update(h.sum, crc32.IEEETable, p)
	return len(p), nil
}

// Crc32File returns the CRC-32 checksum of a file's contents.
func Crc32File(path string) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := &Hasher{}
	if _, err := io.Copy(h, f); err != nil {
		return 0, err
	}
	return h.sum, nil
}
