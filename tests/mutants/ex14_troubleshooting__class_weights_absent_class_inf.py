"""N / (num_classes * count) for every class: an absent class gets inf."""


def class_weights(targets, num_classes):
    counts = torch.bincount(targets.long(), minlength=num_classes).float()
    return len(targets) / (num_classes * counts)
