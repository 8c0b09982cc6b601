"""PlainNN.forward applies self.dropout only after fc1's ReLU, not after fc2's."""

class PlainNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout(F.relu(self.fc1(x.view(-1, 28 * 28))))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
