import torchaudio


def mel_transform(sample_rate, n_mels, win_length, hop_length):
    return torchaudio.transforms.MelSpectrogram(
        sample_rate=sample_rate, n_fft=win_length, win_length=win_length,
        hop_length=hop_length, n_mels=n_mels,
    )
