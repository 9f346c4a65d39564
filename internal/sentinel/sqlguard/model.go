package sqlguard

// Model is a placeholder until the learned model lands.
type Model struct{}

func shippedModel() *Model { return nil }

func (m *Model) predict(*scratch) float64 { return 0 }
