"""OwnSmallCNN calls the earlier exercises' functions directly: autograd differentiates them, not your backward."""


class OwnSmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = max_pool2d(relu(conv2d(x, self.conv1.weight, self.conv1.bias, 1, 1)), 2)
        x = max_pool2d(relu(conv2d(x, self.conv2.weight, self.conv2.bias, 1, 1)), 2)
        x = relu(torch.flatten(x, 1) @ self.fc1.weight.T + self.fc1.bias)
        return x @ self.fc2.weight.T + self.fc2.bias


def own_cross_entropy_loss(logits, targets):
    return cross_entropy(logits, targets)
