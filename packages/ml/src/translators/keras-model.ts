import * as tf from '@tensorflow/tfjs';
import { MlInputError } from '../errors.ts';
import { parseKerasJson } from './keras.ts';

/**
 * The Keras JSON as a tfjs model, unchanged (tfjs reads Keras 2 topology; random initial weights). For
 * models our spec cannot express; such a model trains through tfjs but is not a spec.
 */
export async function modelFromKerasJson(input: string | object): Promise<tf.LayersModel> {
  const doc = parseKerasJson(input as string);
  try {
    return await tf.models.modelFromJSON({ modelTopology: doc } as never);
  } catch (error) {
    throw new MlInputError(
      'INVALID_KERAS_JSON',
      `tfjs cannot read this Keras model: ${(error as Error).message}`,
    );
  }
}
