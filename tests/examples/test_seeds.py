"""The examples of the seed tutorials (shared/seeds/000, 001, 004) run on numkeras.

Each test is the tutorial's code with ``keras`` / ``tf.keras`` replaced by ``numkeras``
(TensorFlow-only calls such as ``tf.matmul`` or ``tf.TensorShape`` replaced by their
Keras-backend equivalents, and the markdown damage in the seed texts — ``init`` for
``__init__``, ``_`` for ``*`` — repaired). Epoch counts and data sizes are cut down
where the tutorial's full run would only make the test slow.
"""

import numpy as np
import pytest

import numkeras as keras
from numkeras import backend as K
from numkeras import initializations, layers
from numkeras.datasets import mnist
from numkeras.engine import Layer
from numkeras.layers import Activation, Dense, Flatten, Lambda
from numkeras.models import Sequential


@pytest.fixture(scope="module")
def mnist_data():
    try:
        return mnist.load_data()
    except (OSError, ValueError) as error:
        pytest.skip(f"MNIST data not available: {error}")


@pytest.fixture(scope="module")
def flat_mnist(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    return (x_train, y_train), (x_test, y_test)


# -- seed 000 / 001: LossHistory -----------------------------------------------------------------

class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs={}):
        self.losses = []

    def on_batch_end(self, batch, logs={}):
        self.losses.append(logs.get('loss'))


def test_loss_history_callback_records_every_batch_loss(flat_mnist):
    (x_train, y_train), _ = flat_mnist
    x_train, y_train = x_train[:1000], keras.utils.to_categorical(y_train[:1000], 10)

    model = Sequential()
    model.add(Dense(10, input_dim=784, kernel_initializer='uniform'))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    history = LossHistory()
    model.fit(x_train, y_train, batch_size=128, epochs=3, verbose=0, callbacks=[history])

    assert len(history.losses) == 3 * 8  # ceil(1000 / 128) batches per epoch
    assert all(isinstance(loss, float) for loss in history.losses)
    assert history.losses[0] == pytest.approx(np.log(10), abs=0.5)  # small uniform weights: near-uniform start
    assert np.mean(history.losses[-8:]) < np.mean(history.losses[:8])


# -- seed 000: a custom metric ---------------------------------------------------------------------

def mean_pred(y_true, y_pred):
    return K.mean(y_pred)


def test_custom_metric_mean_pred():
    rng = np.random.default_rng(0)
    data = rng.random((200, 8)).astype("float32")
    labels = (data.sum(axis=1) > 4).astype("float32")

    model = Sequential([Dense(1, activation='sigmoid', input_shape=(8,))])
    model.compile(optimizer='rmsprop',
                  loss='binary_crossentropy',
                  metrics=['accuracy', mean_pred])
    history = model.fit(data, labels, epochs=2, batch_size=32, verbose=0)
    assert set(history.history) == {'loss', 'accuracy', 'mean_pred'}
    assert model.metrics_names == ['loss', 'accuracy', 'mean_pred']

    loss, accuracy, mean_prediction = model.evaluate(data, labels, batch_size=200, verbose=0)
    predictions = model.predict(data)
    assert mean_prediction == pytest.approx(float(predictions.mean()), rel=1e-5)
    assert accuracy == pytest.approx(float(((predictions[:, 0] > 0.5) == labels).mean()))


# -- seed 001: custom activations ------------------------------------------------------------------

def sigmoid_relu(x):
    """
    f(x) = x for x>0
    f(x) = sigmoid(x)-0.5 for x<=0
    """
    return K.relu(x) - K.relu(0.5 - K.sigmoid(x))


def lambda_activation(x):
    """
    f(x) = max(relu(x),sigmoid(x)-0.5)
    """
    return K.maximum(K.relu(x), K.sigmoid(x) - 0.5)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_custom_activation_functions_via_activation_and_lambda():
    x = np.linspace(-4, 4, 17, dtype="float32").reshape(1, 17)
    model = Sequential()
    model.add(Activation(sigmoid_relu, input_shape=(17,)))
    np.testing.assert_allclose(model.predict(x), np.where(x > 0, x, _sigmoid(x) - 0.5), rtol=1e-5, atol=1e-6)

    model = Sequential()
    model.add(Lambda(lambda_activation, input_shape=(17,)))
    np.testing.assert_allclose(model.predict(x), np.maximum(np.maximum(x, 0), _sigmoid(x) - 0.5),
                               rtol=1e-5, atol=1e-6)

    rng = np.random.default_rng(1)
    data = rng.normal(size=(128, 6)).astype("float32")
    target = (data[:, :1] > 0).astype("float32")
    model = Sequential()
    model.add(Dense(8, input_shape=(6,)))
    model.add(Activation(sigmoid_relu))
    model.add(Dense(8))
    model.add(Lambda(lambda_activation))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(optimizer='adam', loss='binary_crossentropy')
    history = model.fit(data, target, epochs=5, batch_size=16, verbose=0)
    assert history.history['loss'][-1] < history.history['loss'][0]


class Myactivation(Layer):
    """
    f(x) = x for x>0
    f(x) = alpha1 x for theta<x<=0
    f(x) = alpha2 x for x<=theta
    """
    def __init__(self, theta=-5.0, alpha1=0.2, alpha2=0.1, **kwargs):
        self.theta = theta
        self.alpha1 = alpha1
        self.alpha2 = alpha2
        super(Myactivation, self).__init__(**kwargs)

    def call(self, x, mask=None):
        fx_0 = K.relu(x)  # for x>0
        fx_1 = self.alpha1 * x * K.cast(x > self.theta, K.floatx()) * K.cast(x <= 0.0, K.floatx())  # for theta<x<=0
        fx_2 = self.alpha2 * x * K.cast(x <= self.theta, K.floatx())  # for x<=theta
        return fx_0 + fx_1 + fx_2

    def get_output_shape_for(self, input_shape):
        # we don't change the input shape
        return input_shape


class Trainableactivation(Layer):
    """
    f(x) = x for x>0
    f(x) = alpha1 x for theta<x<=0
    f(x) = alpha2 x for x<=theta

    Keras 2 spelling (``add_weight``); the seed's Keras 1 spelling is Keras1Trainableactivation below.
    """
    def __init__(self, init='zero', theta=-5.0, **kwargs):
        self.init = keras.initializers.get(init)
        self.theta = theta
        super(Trainableactivation, self).__init__(**kwargs)

    def build(self, input_shape):
        self.alpha1 = self.add_weight(shape=input_shape[1:], initializer=self.init, name='alpha1')
        self.alpha2 = self.add_weight(shape=input_shape[1:], initializer=self.init, name='alpha2')
        super(Trainableactivation, self).build(input_shape)

    def call(self, x, mask=None):
        fx_0 = K.relu(x)  # for x>0
        fx_1 = self.alpha1 * x * K.cast(x > self.theta, K.floatx()) * K.cast(x <= 0.0, K.floatx())  # for theta<x<=0
        fx_2 = self.alpha2 * x * K.cast(x <= self.theta, K.floatx())  # for x<=theta
        return fx_0 + fx_1 + fx_2

    def get_output_shape_for(self, input_shape):
        return input_shape


def _piecewise(x, theta, alpha1, alpha2):
    return np.where(x > 0, x, np.where(x > theta, alpha1 * x, alpha2 * x))


def test_myactivation_layer():
    x = np.array([[-8.0, -5.0, -2.0, 0.0, 3.0]], dtype="float32")
    model = Sequential()
    model.add(Myactivation(theta=-5.0, alpha1=0.2, alpha2=0.1, input_shape=(5,)))
    np.testing.assert_allclose(model.predict(x), _piecewise(x, -5.0, 0.2, 0.1), rtol=1e-6)
    assert model.layers[0].count_params() == 0
    assert model.output_shape == (None, 5)


def test_trainableactivation_layer_learns_its_slopes():
    model = Sequential()
    model.add(Trainableactivation(init='zero', theta=-5.0, input_shape=(4,)))
    layer = model.layers[0]
    assert [w.shape for w in layer.trainable_weights] == [(4,), (4,)]
    x = np.array([[-8.0, -2.0, -1.0, 2.0]] * 16, dtype="float32")
    np.testing.assert_allclose(model.predict(x), _piecewise(x, -5.0, 0.0, 0.0))

    target = _piecewise(x, -5.0, 0.3, 0.1)
    model.compile(optimizer=keras.optimizers.SGD(lr=0.05), loss='mse')
    model.fit(x, target, epochs=200, batch_size=16, verbose=0)
    alpha1, alpha2 = model.get_weights()
    assert alpha1[1] == pytest.approx(0.3, abs=0.01) and alpha1[2] == pytest.approx(0.3, abs=0.01)
    assert alpha2[0] == pytest.approx(0.1, abs=0.01)
    assert alpha1[0] == 0.0 and alpha2[1] == 0.0  # no gradient reaches the unused slopes


class Keras1Trainableactivation(Layer):
    """The seed's own Keras 1 spelling: ``initializations.get(init)`` and ``self.trainable_weights = [...]``."""
    def __init__(self, init='zero', theta=-5.0, **kwargs):
        self.init = initializations.get(init)
        self.theta = theta
        super(Keras1Trainableactivation, self).__init__(**kwargs)

    def build(self, input_shape):
        self.alpha1 = self.init(input_shape[1:], name='alpha1')  # init alpha1 and alpha2 using ''zero''
        self.alpha2 = self.init(input_shape[1:], name='alpha2')
        self.trainable_weights = [self.alpha1, self.alpha2]

    def call(self, x, mask=None):
        fx_0 = K.relu(x)  # for x>0
        fx_1 = self.alpha1 * x * K.cast(x > self.theta, K.floatx()) * K.cast(x <= 0.0, K.floatx())  # for theta<x<=0
        fx_2 = self.alpha2 * x * K.cast(x <= self.theta, K.floatx())  # for x<=theta
        return fx_0 + fx_1 + fx_2

    def get_output_shape_for(self, input_shape):
        return input_shape


def test_trainableactivation_keras1_spelling():
    with pytest.warns(DeprecationWarning, match="initializations"):
        layer = Keras1Trainableactivation(init='zero', theta=-5.0, input_shape=(3,))
    model = Sequential([layer])
    assert [w.shape for w in layer.trainable_weights] == [(3,), (3,)]
    x = np.array([[-8.0, -2.0, 2.0]] * 8, dtype="float32")
    model.compile(optimizer=keras.optimizers.SGD(lr=0.02), loss='mse')
    model.fit(x, _piecewise(x, -5.0, 0.5, 0.1), epochs=100, batch_size=8, verbose=0)
    alpha1, alpha2 = model.get_weights()
    assert alpha1[1] == pytest.approx(0.5, abs=0.02) and alpha2[0] == pytest.approx(0.1, abs=0.02)


# -- seed 004: custom layer and subclassed model -------------------------------------------------------

class MyLayer(layers.Layer):

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(MyLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        shape = (input_shape[1], self.output_dim)
        # 为此层创建一个可训练的权重
        self.kernel = self.add_weight(name='kernel',
                                      shape=shape,
                                      initializer='uniform',
                                      trainable=True)
        # 确保在函数结束时调用下面的语句
        super(MyLayer, self).build(input_shape)

    def call(self, inputs):
        # 这里定义了这层要实现的操作,也就是前向传播的操作
        return K.dot(inputs, self.kernel)

    def compute_output_shape(self, input_shape):
        # 计算输出tensor的shape
        shape = list(input_shape)
        shape[-1] = self.output_dim
        return tuple(shape)

    def get_config(self):
        base_config = super(MyLayer, self).get_config()
        base_config['output_dim'] = self.output_dim
        return base_config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@pytest.fixture
def tutorial_data():
    """The tf.keras guide's random data: 1000 samples of 32 features, 10 soft targets."""
    rng = np.random.default_rng(0)
    return rng.random((1000, 32)).astype("float32"), rng.random((1000, 10)).astype("float32")


def test_mylayer_in_sequential(tutorial_data):
    data, labels = tutorial_data
    model = Sequential(
        [
            MyLayer(10),
            layers.Activation('softmax')
        ]
    )
    model.compile(optimizer=keras.optimizers.RMSprop(0.001),
                  loss='categorical_crossentropy',
                  metrics=['accuracy'])
    history = model.fit(data, labels, batch_size=32, epochs=5, verbose=0)
    assert len(history.history['loss']) == 5
    assert history.history['loss'][-1] < history.history['loss'][0]
    assert model.layers[0].kernel.shape == (32, 10)
    assert model.predict(data[:3]).shape == (3, 10)

    config = model.layers[0].get_config()
    assert config['output_dim'] == 10
    clone = MyLayer.from_config(config)
    assert clone.output_dim == 10 and clone.name == model.layers[0].name


class MyModel(keras.Model):

    def __init__(self, num_classes=10):
        super(MyModel, self).__init__(name='my_model')
        self.num_classes = num_classes
        # 在__init__函数中定义层
        self.dense_1 = layers.Dense(32, activation='relu')
        self.dense_2 = layers.Dense(num_classes, activation='sigmoid')

    def call(self, inputs):
        # 在call函数中定义前向传播
        # 使用在__init__中定义的层
        x = self.dense_1(inputs)
        return self.dense_2(x)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[-1] = self.num_classes
        return tuple(shape)


def test_subclassed_mymodel(tutorial_data):
    data, labels = tutorial_data
    model = MyModel(num_classes=10)

    model.compile(optimizer=keras.optimizers.RMSprop(0.001),
                  loss='categorical_crossentropy',
                  metrics=['accuracy'])

    history = model.fit(data, labels, batch_size=32, epochs=5, verbose=0)
    assert len(history.history['loss']) == 5
    assert history.history['loss'][-1] < history.history['loss'][0]
    assert len(model.trainable_weights) == 4
    assert model.predict(data[:4]).shape == (4, 10)
    result = model.predict(data, batch_size=32)
    assert ((result >= 0) & (result <= 1)).all()


# -- seed 004: the MNIST functional model with validation_split ------------------------------------------

def test_functional_mnist_model_with_validation_split(flat_mnist, capsys):
    (x_train, y_train), (x_test, y_test) = flat_mnist

    inputs = keras.Input(shape=(784,), name='img')
    h1 = layers.Dense(32, activation='relu')(inputs)
    h2 = layers.Dense(32, activation='relu')(h1)
    outputs = layers.Dense(10, activation='softmax')(h2)
    model = keras.Model(inputs=inputs, outputs=outputs, name='mnistmodel')

    model.summary()
    summary = capsys.readouterr().out
    assert 'mnistmodel' in summary and '26,506' in summary  # 784*32+32 + 32*32+32 + 32*10+10

    keras.utils.set_random_seed(0)
    model.compile(optimizer=keras.optimizers.RMSprop(),
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    history = model.fit(x_train, y_train, batch_size=64, epochs=5, validation_split=0.2, verbose=0)
    test_scores = model.evaluate(x_test, y_test, verbose=0)
    print('test loss:', test_scores[0])
    print('test acc:', test_scores[1])

    assert set(history.history) == {'loss', 'accuracy', 'val_loss', 'val_accuracy'}
    assert len(history.history['val_loss']) == 5
    assert history.history['val_accuracy'][-1] > 0.85
    assert test_scores[1] > 0.85
    # validation_split holds out the LAST 20% (1,600 of 8,000), before shuffling
    last = model.evaluate(x_train[6400:], y_train[6400:], batch_size=64, verbose=0, return_dict=True)
    assert last['loss'] == pytest.approx(history.history['val_loss'][-1], rel=1e-4)


# -- seed 004: a callback that stops training ---------------------------------------------------------------

class myCallback(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs={}):
        if(logs.get('loss') < 0.4):
            print("\nReached 60% accuracy so cancelling training!")
            self.model.stop_training = True


def test_mycallback_stops_training(mnist_data, capsys):
    (training_images, training_labels), (test_images, test_labels) = mnist_data
    training_images = training_images / 255.0
    test_images = test_images / 255.0

    keras.utils.set_random_seed(0)
    model = keras.models.Sequential([
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation=K.relu),
        keras.layers.Dense(10, activation=K.softmax)
    ])

    myCB = myCallback()
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
    history = model.fit(training_images, training_labels, epochs=5, callbacks=[myCB], verbose=0)

    losses = history.history['loss']
    assert len(losses) < 5
    assert losses[-1] < 0.4 and all(loss >= 0.4 for loss in losses[:-1])
    assert "cancelling training" in capsys.readouterr().out
    assert model.stop_training


# -- seed 001: Nielsen's mini-batch network as a Sequential model -------------------------------------------

class Network:
    """The seed's plain-NumPy network (Nielsen's network.py), vectorised only where it already was."""

    def __init__(self, sizes, rng):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = _sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta):
        n = len(training_data)
        for _ in range(epochs):
            mini_batches = [training_data[k:k + mini_batch_size] for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = _sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * _sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * _sigmoid_prime(z)
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations, y):
        return output_activations - y

    def evaluate(self, test_data):
        test_results = [(np.argmax(self.feedforward(x)), y) for (x, y) in test_data]
        return sum(int(x == y) for (x, y) in test_results)


def _sigmoid_prime(z):
    return _sigmoid(z) * (1 - _sigmoid(z))


def quadratic_cost(y_true, y_pred):
    """Nielsen's cost per sample: C = 1/2 * sum_j (y_j - a_j)^2."""
    return 0.5 * K.sum(K.square(y_pred - y_true), axis=-1)


def nielsen_model(network):
    """[784, 30, 10] sigmoid network as a Sequential model, with the Network's weights."""
    model = Sequential()
    model.add(Dense(network.sizes[1], activation='sigmoid', input_dim=network.sizes[0],
                    kernel_initializer='random_normal', bias_initializer='random_normal'))
    model.add(Dense(network.sizes[2], activation='sigmoid',
                    kernel_initializer='random_normal', bias_initializer='random_normal'))
    model.set_weights([network.weights[0].T, network.biases[0].ravel(),
                       network.weights[1].T, network.biases[1].ravel()])
    return model


def test_nielsen_network_matches_the_seed_numpy_implementation(flat_mnist, floatx64):
    """Same weights, same mini-batches, no shuffling: one epoch of numkeras = the seed's backprop."""
    (x_train, y_train), _ = flat_mnist
    x, y = x_train[:300].astype("float64"), keras.utils.to_categorical(y_train[:300], 10).astype("float64")
    network = Network([784, 30, 10], np.random.default_rng(0))
    model = nielsen_model(network)
    model.compile(optimizer=keras.optimizers.SGD(lr=3.0), loss=quadratic_cost)

    network.SGD([(xi.reshape(-1, 1), yi.reshape(-1, 1)) for xi, yi in zip(x, y)],
                epochs=1, mini_batch_size=10, eta=3.0)
    model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)

    expected = [network.weights[0].T, network.biases[0].ravel(), network.weights[1].T, network.biases[1].ravel()]
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_nielsen_network_learns_mnist(flat_mnist):
    (x_train, y_train), (x_test, y_test) = flat_mnist
    keras.utils.set_random_seed(0)
    network = Network([784, 30, 10], np.random.default_rng(0))
    model = nielsen_model(network)
    model.compile(optimizer=keras.optimizers.SGD(lr=3.0), loss=quadratic_cost, metrics=['accuracy'])
    model.fit(x_train, keras.utils.to_categorical(y_train, 10), batch_size=10, epochs=4, verbose=0)
    correct = int((model.predict(x_test).argmax(axis=1) == y_test).sum())
    print("Epoch 1: {0} / {1}".format(correct, len(y_test)))
    assert correct / len(y_test) > 0.85
