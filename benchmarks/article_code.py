"""The article's MNIST code ("CNNs: The Eyes of ML"), as printed, for the benchmark's "article" pipeline.

Typed in from ``shared/docs/source-article.txt`` ("Data Preparation", "Model 1", "Model 2",
"Training and Evaluation"), not imported from the kit: the benchmark times what a reader who
runs the article gets. Changes, each marked ``# bench:``: the data root and ``download`` are
parameters (no downloading here), the loaders are built by a function instead of at import,
``criterion`` is defined next to the loop that uses it, and the progress lines go to ``log``
(a file; the benchmark passes os.devnull) instead of the terminal.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms


def make_loaders(root, download=False):  # bench: the article builds these at module level
    # Define transformations for MNIST.
    # The MNIST dataset is normalized with mean=0.1307 and std=0.3081.
    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,))
    ])

    # Load the training dataset.
    trainset = torchvision.datasets.MNIST(root=root, train=True,
                                          download=download, transform=transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=64,
                                              shuffle=True, num_workers=2)

    # Load the test dataset.
    testset = torchvision.datasets.MNIST(root=root, train=False,
                                         download=download, transform=transform)
    testloader = torch.utils.data.DataLoader(testset, batch_size=64,
                                             shuffle=False, num_workers=2)
    return trainset, trainloader, testloader


class PlainNN(nn.Module):
    def __init__(self):
        super(PlainNN, self).__init__()
        # Input size is 28*28 = 784
        self.fc1 = nn.Linear(28 * 28, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        # Flatten the image: x shape = [batch_size, 1, 28, 28] -> [batch_size, 784]
        x = x.view(-1, 28 * 28)
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        x = F.relu(self.fc2(x))
        x = self.dropout(x)
        x = self.fc3(x)
        return x


class MNIST_CNN(nn.Module):
    def __init__(self):
        super(MNIST_CNN, self).__init__()
        # Convolutional layer 1: input channels=1, output channels=32, kernel size=3.
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        # Convolutional layer 2: input channels=32, output channels=64, kernel size=3.
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        # Max pooling layer (2x2) will reduce spatial dimensions.
        self.pool = nn.MaxPool2d(2, 2)
        # After two poolings, the 28x28 image becomes 7x7.
        self.fc1 = nn.Linear(64 * 14 * 14, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.pool(x)  # Reduces spatial dimensions.
        x = x.view(-1, 64 * 14 * 14)  # Flatten the tensor.
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        x = self.fc2(x)
        return x


# Define the loss function.
criterion = nn.CrossEntropyLoss()


def make_optimizer(model):  # bench: the article writes optim.Adam(net.parameters(), lr=0.001) per model
    return optim.Adam(model.parameters(), lr=0.001)


def train_model(model, optimizer, trainloader, num_epochs, log=None):  # bench: log
    model.train()  # Set model to training mode.
    for epoch in range(num_epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels = data

            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            running_loss += loss.item()
            if i % 100 == 99:  # Print every 100 mini-batches.
                print(f'Epoch [{epoch + 1}/{num_epochs}], Batch [{i + 1}], Loss: {running_loss / 100:.4f}', file=log)
                running_loss = 0.0
    print('Finished Training', file=log)


def evaluate_model(model, testloader):
    model.eval()  # Set model to evaluation mode.
    correct = 0
    total = 0
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = model(images)
            _, predicted = torch.max(outputs, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    accuracy = 100 * correct / total
    return accuracy
